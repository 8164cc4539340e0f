/**
 * The platform's own API definitions (operations, topics, models with their enums), as extracted from Genesys's
 * generated SDK into `definitions/platform-api.json` (see its README). Loaded on first use: only the emulator and
 * set-up checks need them, never the stream.
 */
import { readFileSync } from 'node:fs';

/** A property: a type as the SDK writes it (`str`, `int`, `bool`, `datetime`, `list[X]`, `dict(str, X)`, a model). */
export interface PropertyDefinition {
  type: string;
  enum?: string[];
}

export interface ModelDefinition {
  properties: Record<string, PropertyDefinition>;
  required: string[];
}

export interface ParameterDefinition {
  name: string;
  type: string;
  required: boolean;
  enum?: string[];
}

export interface OperationDefinition {
  id: string;
  method: string;
  path: string;
  /** Permissions the caller needs: all of `all`, or at least one of `any`. */
  permissions: { all?: string[]; any?: string[] };
  pathParameters: ParameterDefinition[];
  query: ParameterDefinition[];
  body?: { type: string; required: boolean };
  response?: string;
}

export interface PlatformDefinitions {
  source: { repository: string; commit: string; sdkVersion: string };
  operations: OperationDefinition[];
  topics: { topic: string; model: string }[];
  models: Record<string, ModelDefinition>;
}

let loaded: PlatformDefinitions | undefined;

/** The definitions (parsed once). The file sits two folders up from both `src/definitions` and `dist/definitions`. */
export function platformDefinitions(): PlatformDefinitions {
  loaded ??= JSON.parse(
    readFileSync(new URL('../../definitions/platform-api.json', import.meta.url), 'utf8'),
  ) as PlatformDefinitions;
  return loaded;
}

/** `{param}` segments compared by position only: the SDK and our code may name them differently. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

/** The platform's operation for a method and a path pattern (`/api/v2/users/{userId}`), if it has one. */
export function operationFor(method: string, pattern: string): OperationDefinition | undefined {
  const shape = pathShape(pattern);
  const upper = method.toUpperCase();
  return platformDefinitions().operations.find((o) => o.method === upper && pathShape(o.path) === shape);
}

/** A model by name; throws when the definitions do not have it (a typo, or a model never extracted). */
export function modelDefinition(name: string): ModelDefinition {
  const model = platformDefinitions().models[name];
  if (!model) throw new Error(`The platform definitions have no model ${name}`);
  return model;
}

/** The enum values of a model's property, as the platform spells them. */
export function enumOf(model: string, property: string): readonly string[] {
  const values = modelDefinition(model).properties[property]?.enum;
  if (!values) throw new Error(`${model}.${property} has no enum in the platform definitions`);
  return values;
}
