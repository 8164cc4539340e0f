/**
 * The sink kinds. Each is one module holding its spec parser, its piece of the config file's schema, its factory
 * and its description (see kind.ts); `createSink`, `parseSinkSpec`, the config file and the start-up summary find a
 * kind here by its name. Adding a kind is one module and one line in {@link SINK_KINDS}.
 */
import { z } from 'zod';
import { fileSink } from './file.js';
import type { SinkKind, SinkObjectSchema } from './kind.js';
import { natsSink } from './nats.js';
import { stdoutSink } from './stdout.js';
import { webhookSink } from './webhook.js';

/** Every kind of sink, in the order help texts list them. */
const SINK_KINDS = [stdoutSink, fileSink, webhookSink, natsSink] as const;

type ConfigOf<K> = K extends SinkKind<infer C> ? C : never;

/** A sink described as data: the object form of any kind (`{kind: 'file', path, …}`). */
export type SinkConfig = ConfigOf<(typeof SINK_KINDS)[number]>;

const byName: ReadonlyMap<string, SinkKind<SinkConfig>> = new Map(
  SINK_KINDS.map((kind) => [kind.kind, kind as SinkKind<SinkConfig>]),
);

/** The kind of that name, or undefined. */
export function sinkKind(name: string): SinkKind<SinkConfig> | undefined {
  return byName.get(name);
}

/** The kind of a config; throws for a config of no known kind (a program's mistake: configs are checked). */
export function kindOf(config: SinkConfig): SinkKind<SinkConfig> {
  const kind = byName.get(config.kind);
  if (!kind) throw new TypeError(`Unknown sink kind "${(config as { kind: string }).kind}".`);
  return kind;
}

/** The names of the kinds: `stdout, file, webhook, nats`. */
export function sinkKindNames(): string[] {
  return SINK_KINDS.map((kind) => kind.kind);
}

/** How each kind's spec is written, for help texts: `stdout, file:path[?…], …`. */
export function sinkSpecUsage(separator = ', '): string {
  return SINK_KINDS.map((kind) => kind.usage).join(separator);
}

/** The object form of a sink in `switchboard.yaml`, checked by its kind's schema. */
export const sinkObjectSchema = z.discriminatedUnion(
  'kind',
  SINK_KINDS.map((kind) => kind.schema) as [SinkObjectSchema<SinkConfig>, ...SinkObjectSchema<SinkConfig>[]],
  {
    message: `expected kind: ${sinkKindNames()
      .join(', ')
      .replace(/, (\w+)$/, ' or $1')}`,
  },
);

/** How the start-up summary shows a sink: its name, else what it is (no credentials, no query). */
export function describeSink(config: SinkConfig): string {
  if (config.name) return config.name;
  const kind = kindOf(config);
  return kind.describe ? kind.describe(config) : kind.defaultName(config);
}

/** A config with the config file's relative paths made relative to that file. */
export function localSinkPaths(config: SinkConfig, local: (path: string) => string): SinkConfig {
  const kind = kindOf(config);
  const resolved = kind.resolvePaths ? kind.resolvePaths(config, local) : { ...config };
  if (resolved.outbox?.dir) resolved.outbox = { ...resolved.outbox, dir: local(resolved.outbox.dir) };
  return resolved;
}
