/**
 * Checks a JSON value against a type of the platform's definitions, strictly: every key must be a property of its
 * model, every value of the property's type, every enum value spelled exactly (case-sensitively), every required
 * property present, every date-time in the platform's ISO-8601 form. Returns the violations, each with its path.
 */
import { definitions } from './definitions.js';

/** `yyyy-MM-ddTHH:mm:ss[.mmm]Z`, as the platform writes date-times. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface CheckOptions {
  /**
   * Paths (dot paths with `[]` for array items and `{}` for map values, e.g. `participants[].attributes`) whose value
   * is not checked; each use must be explained where it is passed.
   */
  skip?: readonly string[];
  /** Required properties (`Model.property`) that may be absent; each use must be explained where it is passed. */
  mayOmit?: readonly string[];
}

/** Violations of `value` against the type expression `type` (a model name, `list[X]`, `str`, ...). */
export function conformance(value: unknown, type: string, options: CheckOptions = {}): string[] {
  const problems: string[] = [];
  checkValue(
    value,
    type,
    '$',
    '',
    undefined,
    problems,
    new Set(options.skip ?? []),
    new Set(options.mayOmit ?? []),
  );
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function checkValue(
  value: unknown,
  type: string,
  at: string,
  shape: string,
  allowed: readonly string[] | undefined,
  problems: string[],
  skip: Set<string>,
  mayOmit: Set<string>,
): void {
  if (skip.has(shape)) return;
  // The platform leaves keys out rather than sending null (GENESYS.md, recorded payloads).
  if (value === null) {
    problems.push(`${at}: null (the platform leaves the key out)`);
    return;
  }
  const list = /^list\[(.+)\]$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return void problems.push(`${at}: ${describe(value)}, expected ${type}`);
    value.forEach((item, i) => {
      checkValue(item, list[1]!, `${at}[${i}]`, `${shape}[]`, allowed, problems, skip, mayOmit);
    });
    return;
  }
  const dict = /^dict\(str, (.+)\)$/.exec(type);
  if (dict) {
    if (typeof value !== 'object' || Array.isArray(value))
      return void problems.push(`${at}: ${describe(value)}, expected ${type}`);
    for (const [key, item] of Object.entries(value as object)) {
      checkValue(item, dict[1]!, `${at}.${key}`, `${shape}{}`, undefined, problems, skip, mayOmit);
    }
    return;
  }
  switch (type) {
    case 'str':
      if (typeof value !== 'string')
        return void problems.push(`${at}: ${describe(value)}, expected a string`);
      if (allowed && !allowed.includes(value))
        problems.push(`${at}: "${value}" is not one of ${allowed.join(', ')}`);
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value))
        problems.push(`${at}: ${JSON.stringify(value)}, expected an integer`);
      return;
    case 'float':
      if (typeof value !== 'number') problems.push(`${at}: ${describe(value)}, expected a number`);
      return;
    case 'bool':
      if (typeof value !== 'boolean') problems.push(`${at}: ${describe(value)}, expected a boolean`);
      return;
    case 'datetime':
      if (typeof value !== 'string' || !DATE_TIME.test(value))
        problems.push(
          `${at}: ${JSON.stringify(value)}, expected an ISO-8601 date-time (yyyy-MM-ddTHH:mm:ss.SSSZ)`,
        );
      return;
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value))
        problems.push(`${at}: ${JSON.stringify(value)}, expected a date (yyyy-MM-dd)`);
      return;
    case 'object':
      return;
  }
  const model = definitions.models[type];
  if (!model) return void problems.push(`${at}: type ${type} is not in the extracted definitions`);
  if (typeof value !== 'object' || Array.isArray(value))
    return void problems.push(`${at}: ${describe(value)}, expected a ${type} object`);
  const record = value as Record<string, unknown>;
  for (const key of model.required) {
    if (!(key in record) && !mayOmit.has(`${type}.${key}`))
      problems.push(`${at}: required ${type}.${key} is missing`);
  }
  for (const [key, item] of Object.entries(record)) {
    const property = model.properties[key];
    if (!property) {
      problems.push(`${at}.${key}: ${type} has no property "${key}"`);
      continue;
    }
    const path = shape ? `${shape}.${key}` : key;
    checkValue(item, property.type, `${at}.${key}`, path, property.enum, problems, skip, mayOmit);
  }
}
