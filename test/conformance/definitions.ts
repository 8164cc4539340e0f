/**
 * The platform's published API definitions, as extracted from Genesys's generated SDK by
 * `scripts/extract-platform-definitions.mjs` into `definitions/platform-api.json` (source and commit inside). The
 * conformance suite reads the file itself (only the types are shared) and checks the emulator against it, never
 * against our own code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OperationDefinition, PlatformDefinitions } from '../../src/definitions/index.js';

export type {
  ModelDefinition,
  OperationDefinition,
  PlatformDefinitions,
} from '../../src/definitions/index.js';

export const definitions: PlatformDefinitions = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../definitions/platform-api.json', import.meta.url)), 'utf8'),
);

/** `{param}` segments compared by position only: the SDK and the emulator may name them differently. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}');
}

/** The operation for a method and a path pattern (`/api/v2/users/{userId}`), if the platform has it. */
export function operationFor(method: string, pattern: string): OperationDefinition | undefined {
  const shape = pathShape(pattern);
  return definitions.operations.find((o) => o.method === method.toUpperCase() && pathShape(o.path) === shape);
}

/** The operation for a method and a concrete path (`/api/v2/users/abc`). */
export function operationForPath(method: string, path: string): OperationDefinition | undefined {
  const parts = path.split('?')[0]!.split('/');
  return definitions.operations.find((o) => {
    if (o.method !== method.toUpperCase()) return false;
    const segments = o.path.split('/');
    return (
      segments.length === parts.length &&
      segments.every((s, i) => (s.startsWith('{') && s.endsWith('}') ? parts[i] !== '' : s === parts[i]))
    );
  });
}

/** The model of a concrete topic name (`v2.routing.queues.<id>.conversations` → its `{id}` pattern's model). */
export function topicModel(topicName: string): string | undefined {
  const lower = topicName.toLowerCase();
  for (const { topic, model } of definitions.topics) {
    const pattern = new RegExp(
      `^${topic
        .toLowerCase()
        .split('{id}')
        .map((s) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^.]+')}$`,
    );
    if (pattern.test(lower)) return model;
  }
  return undefined;
}
