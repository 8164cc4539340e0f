/**
 * Request validation the platform does before any resource sees a request, driven by the platform's own
 * definitions (`src/definitions`): query parameters of the wrong type or outside their enum, a missing body, body
 * fields outside their enum, required fields left out, objects where lists belong. The resource handlers then check
 * what only they know (limits, formats, references).
 *
 * Deliberately not stricter than the platform: unknown query parameters and unknown body fields are ignored, and
 * scalars are not type-checked (the platform's JSON reader turns `"5"` into 5 and 5 into `"5"`).
 */
import {
  type ModelDefinition,
  type OperationDefinition,
  operationFor,
  type ParameterDefinition,
  platformDefinitions,
} from '../definitions/index.js';
import { type EmulatorResponse, platformError, type Route } from './router.js';

/** Spring's boolean spellings: what the platform's query parameter binding accepts. */
const BOOLEAN = /^(true|false|on|off|yes|no|1|0)$/i;
const INTEGER = /^-?\d+$/;

const operations = new WeakMap<Route, OperationDefinition | null>();

/** The platform's definition of a route's operation (none for the emulator's own routes), looked up once. */
export function platformOperation(route: Route): OperationDefinition | undefined {
  let operation = operations.get(route);
  if (operation === undefined) {
    operation = route.pattern.startsWith('/api/v2/')
      ? (operationFor(route.method, route.pattern) ?? null)
      : null;
    operations.set(route, operation);
  }
  return operation ?? undefined;
}

/** {@link validateRequest} for a route, when the platform defines its operation. */
export function validateRouteRequest(
  route: Route,
  query: URLSearchParams,
  body: unknown,
): EmulatorResponse | undefined {
  const operation = platformOperation(route);
  return operation ? validateRequest(operation, query, body) : undefined;
}

/** The platform's 400 for a request that does not fit the operation's definition; undefined when it fits. */
export function validateRequest(
  operation: OperationDefinition,
  query: URLSearchParams,
  body: unknown,
): EmulatorResponse | undefined {
  for (const parameter of operation.query) {
    const problem = checkQueryParameter(parameter, query.getAll(parameter.name));
    if (problem) return problem;
  }
  if (operation.body) {
    if (body === undefined) {
      return operation.body.required
        ? platformError(400, 'bad.request', 'The request body is required and was missing or empty.')
        : undefined;
    }
    const problem = checkBody(body, operation.body.type, 'body');
    if (problem) {
      return platformError(400, 'bad.request', problem.message, { field: problem.field });
    }
  }
  return undefined;
}

function checkQueryParameter(parameter: ParameterDefinition, raw: string[]): EmulatorResponse | undefined {
  if (raw.length === 0) return undefined;
  const list = parameter.type.startsWith('list[');
  // Lists arrive repeated (`?expand=a&expand=b`) or comma-separated (`?expand=a,b`); the platform takes both.
  const values = list
    ? raw
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean)
    : raw;
  const itemType = list ? parameter.type.slice(5, -1) : parameter.type;
  for (const value of values) {
    const invalid =
      (itemType === 'int' && !INTEGER.test(value)) ||
      (itemType === 'bool' && !BOOLEAN.test(value)) ||
      (parameter.enum !== undefined && !parameter.enum.includes(value));
    if (!invalid) continue;
    return platformError(400, 'bad.request', notValid(value, parameter.name, parameter.enum), {
      field: parameter.name,
      value,
    });
  }
  return undefined;
}

/** The platform's wording: "Value [x] is not valid for field type [Mode]. Allowable values are: A, B". */
function notValid(value: string, name: string, allowed: readonly string[] | undefined): string {
  const type = name.charAt(0).toUpperCase() + name.slice(1);
  const values = allowed ? ` Allowable values are: ${allowed.join(', ')}` : '';
  return `Value [${value}] is not valid for field type [${type}].${values}`;
}

interface BodyProblem {
  field: string;
  message: string;
}

function checkBody(value: unknown, type: string, at: string): BodyProblem | undefined {
  if (value === null || value === undefined) return undefined;
  const list = /^list\[(.+)\]$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return { field: at, message: `${at} must be a JSON array` };
    for (let i = 0; i < value.length; i++) {
      const problem = checkBody(value[i], list[1]!, `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (/^dict\(/.test(type) || type === 'object') return undefined;
  const model = platformDefinitions().models[type];
  if (!model) return undefined; // a scalar
  if (typeof value !== 'object' || Array.isArray(value))
    return { field: at, message: `${at} must be a JSON object (${type})` };
  return checkModel(value as Record<string, unknown>, model, type, at);
}

function checkModel(
  record: Record<string, unknown>,
  model: ModelDefinition,
  type: string,
  at: string,
): BodyProblem | undefined {
  const prefix = at === 'body' ? '' : `${at}.`;
  for (const key of model.required) {
    if (record[key] === undefined || record[key] === null)
      return { field: `${prefix}${key}`, message: `The field ${prefix}${key} is required (${type}).` };
  }
  for (const [key, value] of Object.entries(record)) {
    const property = model.properties[key];
    if (!property || value === undefined || value === null) continue;
    const field = `${prefix}${key}`;
    if (property.enum) {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) {
        if (typeof v === 'string' && !property.enum.includes(v))
          return { field, message: `${notValid(v, key, property.enum)} (field ${field})` };
      }
      continue;
    }
    const problem = checkBody(value, property.type, field);
    if (problem) return problem;
  }
  return undefined;
}
