/**
 * What a sink kind is. Each kind is one module (stdout.ts, file.ts, webhook.ts, nats.ts) holding its command-line
 * spec parser, its piece of the config file's schema, its factory and how it is named; registry.ts lists them.
 * This module has what every kind shares: the common settings, what a factory is given, and the helpers that read
 * the common options of a spec and of the object form.
 *
 * Options common to every kind: `name`, `outboxDir` (keep the outbox on disk there: it then survives a crash),
 * `capacity` and `outboxMaxBytes` (the outbox's bound), `policy` (stop | drop-oldest: what happens past the bound),
 * `maxAttempts`, `retryInitialMs`, `retryMaxMs`, `closeTimeoutMs`.
 */
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { RetrySettings } from '../backoff.js';
import type { Bus } from '../bus/connection.js';
import { text } from '../config/settings-schema.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { PublishStampHook } from './nats-transport.js';
import type { OutboxSettings } from './queued-sink.js';
import type { EventSink, OverflowPolicy } from './types.js';

/** Settings every kind of sink takes. */
export interface CommonSinkConfig {
  name?: string;
  /** The outbox: its directory (on disk, surviving a crash; memory without), bound and overflow policy. */
  outbox?: Partial<OutboxSettings>;
  retry?: Partial<RetrySettings>;
  closeTimeoutMs?: number;
}

/** Things a sink may need from its surroundings. */
export interface CreateSinkOptions {
  logger?: Logger;
  /** Where `secret=env:NAME` is looked up; `process.env` by default. */
  env?: Record<string, string | undefined>;
  /** The stdout sink's stream; `process.stdout` by default. */
  stdout?: Writable;
  now?: () => number;
  /**
   * Where sinks keep their outboxes when their config names no directory: on disk there (each sink's own file),
   * so what a sink was handed survives a crash. Without it (and without `outbox.dir`) outboxes live in memory.
   */
  outboxDir?: string;
  /** For NATS sinks: a connection to share instead of each sink connecting, and the publish stamp hook. */
  nats?: { bus?: Bus; stamp?: PublishStampHook };
}

/** The settings of the queued sink every kind is built on, resolved from the common config and the options. */
export interface SinkBasics {
  name: string;
  logger: Logger;
  outbox?: Partial<OutboxSettings>;
  retry?: Partial<RetrySettings>;
  closeTimeoutMs?: number;
  now?: () => number;
}

/**
 * One kind of sink: everything about it in one place. Adding a kind is one module exporting a `SinkKind` and one
 * line in registry.ts.
 */
export interface SinkKind<C extends CommonSinkConfig & { kind: string }> {
  /** The word its spec starts with (`file:…`) and the `kind:` of its object form. */
  readonly kind: C['kind'];
  /** How its spec is written, for help texts and hints: `file:path[?maxBytes=&keep=]`. */
  readonly usage: string;
  /** Options its spec takes beside the common ones. */
  readonly options: readonly string[];
  /**
   * Reads the spec after the kind and its `:` (`./events.jsonl?keep=5` of `file:./events.jsonl?keep=5`; empty for
   * `file` alone). Throws ConfigError saying what is wrong.
   */
  parseSpec(body: string, env: Record<string, string | undefined>): C;
  /**
   * Its object form in `switchboard.yaml`: a strict object with `kind: z.literal(…)` and
   * {@link COMMON_SINK_SETTINGS}, whose output is the config (durations already in ms).
   */
  readonly schema: SinkObjectSchema<C>;
  /** Makes paths of the config file relative to that file (the file sink's path); none by default. */
  resolvePaths?(config: C, local: (path: string) => string): C;
  /** The sink's name when its config gives none: it names the outbox and dead-letter files, and logs. */
  defaultName(config: C): string;
  /** How the start-up summary shows it when it has no name (no credentials, no query); its default name if absent. */
  describe?(config: C): string;
  /** Builds the sink. */
  create(config: C, basics: SinkBasics, options: CreateSinkOptions): EventSink;
}

/** A kind's object form: a zod object discriminated by `kind`, read into the kind's config. */
export type SinkObjectSchema<C> = z.ZodType<C> & z.core.$ZodTypeDiscriminable;

/** Spec options every kind takes. */
export const COMMON_SPEC_OPTIONS: readonly string[] = [
  'name',
  'outboxDir',
  'capacity',
  'outboxMaxBytes',
  'policy',
  'maxAttempts',
  'retryInitialMs',
  'retryMaxMs',
  'closeTimeoutMs',
];

const POLICIES: readonly OverflowPolicy[] = ['stop', 'drop-oldest'];
/** Options of earlier versions, and what replaced them. */
const REPLACED_OPTIONS: Record<string, string> = {
  maxBlockMs:
    'maxBlockMs no longer exists: a sink never blocks for a while and then drops; past its bound it stops the stream (policy=stop, recovered by backfill) or drops the oldest (policy=drop-oldest).',
  spillDir: 'spillDir is now outboxDir: the whole outbox is kept on disk there, not only its overflow.',
  spillMaxBytes: 'spillMaxBytes is now outboxMaxBytes: the bound of the outbox on disk.',
};
/** Policies of earlier versions read as the one that does what they meant. */
const POLICY_ALIASES: Record<string, OverflowPolicy> = { block: 'stop', spill: 'stop' };

/** A spec's target and its options: `./events.jsonl?keep=5` → `./events.jsonl` and `keep=5`. */
export function splitSpec(body: string): { target: string; params: URLSearchParams } {
  const queryAt = body.indexOf('?');
  return {
    target: queryAt < 0 ? body : body.slice(0, queryAt),
    params: new URLSearchParams(queryAt < 0 ? '' : body.slice(queryAt + 1)),
  };
}

/** Refuses options the kind does not take, explaining those of earlier versions. */
export function checkSpecOptions(
  params: URLSearchParams,
  kind: { kind: string; options: readonly string[] },
  shown: string,
): void {
  const known = new Set([...COMMON_SPEC_OPTIONS, ...kind.options]);
  for (const key of params.keys()) {
    const replaced = REPLACED_OPTIONS[key];
    if (replaced) throw new ConfigError(`${shown}: ${replaced}`);
    if (!known.has(key)) {
      throw new ConfigError(`${shown}: unknown option "${key}".`, {
        hint: `Options of the ${kind.kind} sink: ${[...known].join(', ')}.`,
      });
    }
  }
}

/** Reads the options every kind takes; `shown` names the spec in errors (never a credential). */
export function readCommonOptions(params: URLSearchParams, shown: string): CommonSinkConfig {
  const config: CommonSinkConfig = {};
  const name = params.get('name');
  if (name !== null) {
    if (name.trim() === '') throw new ConfigError(`${shown}: name must not be empty.`);
    config.name = name;
  }
  const outbox: Partial<OutboxSettings> = {};
  const outboxDir = params.get('outboxDir');
  if (outboxDir !== null) {
    if (outboxDir.trim() === '') throw new ConfigError(`${shown}: outboxDir must not be empty.`);
    outbox.dir = outboxDir;
  }
  const capacity = wholeNumber(params, 'capacity', shown, 1);
  if (capacity !== undefined) outbox.capacity = capacity;
  const outboxMaxBytes = wholeNumber(params, 'outboxMaxBytes', shown, 1);
  if (outboxMaxBytes !== undefined) outbox.maxBytes = outboxMaxBytes;
  const policy = params.get('policy');
  if (policy !== null) outbox.policy = parsePolicy(policy, shown);
  if (Object.keys(outbox).length > 0) config.outbox = outbox;
  const retry: Partial<RetrySettings> = {};
  const maxAttempts = wholeNumber(params, 'maxAttempts', shown, 0);
  // 0 means "until the sink closes".
  if (maxAttempts !== undefined)
    retry.maxAttempts = maxAttempts === 0 ? Number.POSITIVE_INFINITY : maxAttempts;
  const initial = wholeNumber(params, 'retryInitialMs', shown, 1);
  if (initial !== undefined) retry.initialDelayMs = initial;
  const max = wholeNumber(params, 'retryMaxMs', shown, 1);
  if (max !== undefined) retry.maxDelayMs = max;
  if (Object.keys(retry).length > 0) config.retry = retry;
  const closeTimeoutMs = wholeNumber(params, 'closeTimeoutMs', shown, 0);
  if (closeTimeoutMs !== undefined) config.closeTimeoutMs = closeTimeoutMs;
  return config;
}

/** Reads an overflow policy, taking the names of earlier versions for what they meant. */
export function parsePolicy(value: string, shown: string): OverflowPolicy {
  const policy = POLICY_ALIASES[value] ?? value;
  if (!POLICIES.includes(policy as OverflowPolicy)) {
    throw new ConfigError(`${shown}: policy must be one of ${POLICIES.join(', ')}, got "${value}".`, {
      hint: 'stop: keep everything and pause the stream past the bound (backfill recovers); drop-oldest: drop the oldest, counted.',
    });
  }
  return policy as OverflowPolicy;
}

/** A whole-number option of at least `min`; undefined when absent. */
export function wholeNumber(
  params: URLSearchParams,
  key: string,
  shown: string,
  min: number,
): number | undefined {
  const raw = params.get(key);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${shown}: ${key} must be a whole number of at least ${min}, got "${raw}".`);
  }
  return value;
}

/** A true/false option (`true`, `1` or empty; `false`, `0`). */
export function flag(raw: string, key: string, shown: string): boolean {
  if (raw === 'true' || raw === '1' || raw === '') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${shown}: ${key} must be true or false, got "${raw}".`);
}

/** A sink's outbox in the object form: where it keeps what it has not delivered (on disk in `dir`), its bound, and past the bound what. */
const outboxSchema = z.strictObject({
  dir: text.optional(),
  capacity: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
  // `block` and `spill` are earlier names of what `stop` does now.
  policy: z
    .enum(['stop', 'drop-oldest', 'block', 'spill'])
    .transform((policy): OverflowPolicy => (policy === 'block' || policy === 'spill' ? 'stop' : policy))
    .optional(),
});

const retrySchema = z.strictObject({
  // 0 means "until the sink closes", as in sink specs.
  maxAttempts: z
    .number()
    .int()
    .nonnegative()
    .transform((n) => (n === 0 ? Number.POSITIVE_INFINITY : n))
    .optional(),
  initialDelayMs: z.number().int().positive().optional(),
  maxDelayMs: z.number().int().positive().optional(),
});

/** The settings every kind takes in the object form; spread into each kind's `z.strictObject`. */
export const COMMON_SINK_SETTINGS = {
  name: text.optional(),
  outbox: outboxSchema.optional(),
  retry: retrySchema.optional(),
  closeTimeoutMs: z.number().int().nonnegative().optional(),
};
