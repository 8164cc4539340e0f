/**
 * Sink configuration: the object form (`SinkConfig`) and the command-line form, e.g.
 *
 *   stdout
 *   file:./events.jsonl?maxBytes=10485760&keep=5&daily=true
 *   webhook:https://example.test/hook?secret=env:HOOK_SECRET&timeoutMs=5000
 *   nats://127.0.0.1:4222?stream=SWITCHBOARD_EVENTS&prefix=switchboard.events
 *
 * Options common to every kind: `name`, `outboxDir` (keep the outbox on disk there: it then survives a crash),
 * `capacity` and `outboxMaxBytes` (the outbox's bound), `policy` (stop | drop-oldest: what happens past the bound),
 * `maxAttempts`, `retryInitialMs`, `retryMaxMs`, `closeTimeoutMs`.
 * File: `maxBytes`, `keep`, `daily`, `fsync` (batch | close). Webhook: `secret`, `timeoutMs`, `concurrency`; the
 * secret must come from the environment (`secret=env:NAME`), so it never sits in shell history, process lists or
 * logs. Query parameters of a webhook URL that are not options stay part of the URL. NATS (JetStream): `stream`,
 * `prefix`, `duplicateWindowMs`, `concurrency`, `publishTimeoutMs`; `nats:` alone means nats://127.0.0.1:4222.
 */
import type { Writable } from 'node:stream';
import type { Bus } from '../bus/connection.js';
import { checkStreamName, checkSubjectPrefix } from '../bus/event-stream.js';
import {
  createNatsSink,
  defaultNatsSinkName,
  type NatsSinkConfig,
  type PublishStampHook,
} from '../bus/nats-sink.js';
import { describeBusUrl, parseBusUrl } from '../bus/url.js';
import { ConfigError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import type { RetrySettings } from './backoff.js';
import { EventDispatcher } from './dispatcher.js';
import { createFileSink, type FileSinkSettings } from './file.js';
import type { OutboxSettings } from './queued-sink.js';
import { createStdoutSink } from './stdout.js';
import type { EventSink, OverflowPolicy } from './types.js';
import { createWebhookSink, describeUrl } from './webhook.js';

/** Settings every kind of sink takes. */
export interface CommonSinkConfig {
  name?: string;
  /** The outbox: its directory (on disk, surviving a crash; memory without), bound and overflow policy. */
  outbox?: Partial<OutboxSettings>;
  retry?: Partial<RetrySettings>;
  closeTimeoutMs?: number;
}

export interface StdoutSinkConfig extends CommonSinkConfig {
  kind: 'stdout';
}

export interface FileSinkConfig extends CommonSinkConfig, Partial<Omit<FileSinkSettings, 'path'>> {
  kind: 'file';
  path: string;
}

export interface WebhookSinkConfig extends CommonSinkConfig {
  kind: 'webhook';
  url: string;
  secret: string;
  timeoutMs?: number;
  concurrency?: number;
  headers?: Record<string, string>;
}

export type { NatsSinkConfig } from '../bus/nats-sink.js';

/** A sink described as data. */
export type SinkConfig = StdoutSinkConfig | FileSinkConfig | WebhookSinkConfig | NatsSinkConfig;

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

/** Where `nats:` without a URL connects. */
const DEFAULT_BUS_URL = 'nats://127.0.0.1:4222';

const COMMON_OPTIONS = [
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
const KIND_OPTIONS: Record<SinkConfig['kind'], string[]> = {
  stdout: [],
  file: ['maxBytes', 'keep', 'daily', 'fsync'],
  webhook: ['secret', 'timeoutMs', 'concurrency'],
  nats: ['stream', 'prefix', 'duplicateWindowMs', 'concurrency', 'publishTimeoutMs'],
};
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
const SPEC_HINT =
  'Examples: stdout | file:./events.jsonl?maxBytes=10485760&keep=5 | webhook:https://host/path?secret=env:HOOK_SECRET | nats://127.0.0.1:4222?stream=SWITCHBOARD_EVENTS';

/** Parses a command-line sink spec into a {@link SinkConfig}; throws ConfigError saying what is wrong. */
export function parseSinkSpec(
  spec: string,
  env: Record<string, string | undefined> = process.env,
): SinkConfig {
  const match = /^([A-Za-z][\w-]*)(.*)$/s.exec(spec.trim());
  if (!match) throw new ConfigError('A sink spec is empty or malformed.', { hint: SPEC_HINT });
  const kind = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (kind !== 'stdout' && kind !== 'file' && kind !== 'webhook' && kind !== 'nats') {
    throw new ConfigError(`Unknown sink kind "${kind}".`, {
      hint: `Known kinds: stdout, file, webhook, nats. ${SPEC_HINT}`,
    });
  }
  if (rest !== '' && !rest.startsWith(':') && !rest.startsWith('?')) {
    throw new ConfigError(`Sink spec for "${kind}" must continue with ":" or "?".`, { hint: SPEC_HINT });
  }
  const body = rest.startsWith(':') ? rest.slice(1) : rest;

  if (kind === 'webhook') return parseWebhook(body, env);
  if (kind === 'nats') return parseNats(body);
  const queryAt = body.indexOf('?');
  const target = queryAt < 0 ? body : body.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : body.slice(queryAt + 1));
  const shown = `${kind}:${target}`;
  rejectUnknown(params, kind, shown);

  if (kind === 'stdout') {
    if (target !== '') {
      throw new ConfigError(`The stdout sink takes no target, got "${target}".`, {
        hint: 'Write just "stdout".',
      });
    }
    return { kind, ...common(params, shown) };
  }
  if (target === '') {
    throw new ConfigError('The file sink needs a path.', { hint: 'For example: file:./events.jsonl' });
  }
  const config: FileSinkConfig = { kind, path: target, ...common(params, shown) };
  const maxBytes = wholeNumber(params, 'maxBytes', shown, 0);
  if (maxBytes !== undefined) config.maxBytes = maxBytes;
  const keep = wholeNumber(params, 'keep', shown, 0);
  if (keep !== undefined) config.keep = keep;
  const daily = params.get('daily');
  if (daily !== null) config.rotateDaily = flag(daily, 'daily', shown);
  const fsync = params.get('fsync');
  if (fsync !== null) {
    if (fsync !== 'batch' && fsync !== 'close') {
      throw new ConfigError(`${shown}: fsync must be "batch" or "close", got "${fsync}".`);
    }
    config.syncEachBatch = fsync === 'batch';
  }
  return config;
}

function parseWebhook(body: string, env: Record<string, string | undefined>): WebhookSinkConfig {
  let url: URL;
  try {
    url = new URL(body);
  } catch {
    throw new ConfigError('The webhook sink needs an absolute http(s) URL.', {
      hint: 'For example: webhook:https://example.test/hook?secret=env:HOOK_SECRET',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`The webhook URL must use http or https, not ${url.protocol}`);
  }
  const shown = `webhook:${describeUrl(url.href)}`;
  const options = new URLSearchParams();
  for (const key of [...COMMON_OPTIONS, ...KIND_OPTIONS.webhook]) {
    for (const value of url.searchParams.getAll(key)) options.append(key, value);
    url.searchParams.delete(key);
  }
  const secretRef = options.get('secret');
  if (secretRef === null) {
    throw new ConfigError(`${shown}: a signing secret is required.`, {
      hint: 'Add secret=env:NAME and put the secret in that environment variable.',
    });
  }
  if (!secretRef.startsWith('env:') || secretRef.length === 4) {
    // Never echo the value: it may be the secret itself.
    throw new ConfigError(`${shown}: the secret must name an environment variable (secret=env:NAME).`, {
      hint: 'A secret written in the spec would end up in shell history and process lists.',
    });
  }
  const variable = secretRef.slice(4);
  const secret = env[variable];
  if (!secret) {
    throw new ConfigError(
      `${shown}: environment variable ${variable} (the signing secret) is not set or empty.`,
      {
        hint: `Export ${variable} before starting.`,
      },
    );
  }
  const config: WebhookSinkConfig = { kind: 'webhook', url: url.href, secret, ...common(options, shown) };
  const timeoutMs = wholeNumber(options, 'timeoutMs', shown, 1);
  if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
  const concurrency = wholeNumber(options, 'concurrency', shown, 1);
  if (concurrency !== undefined) config.concurrency = concurrency;
  return config;
}

/** `nats:`, `nats://host:port?…`, `nats:host:port?…`; the URL may carry credentials, never shown. */
function parseNats(body: string): NatsSinkConfig {
  const queryAt = body.indexOf('?');
  let url = queryAt < 0 ? body : body.slice(0, queryAt);
  if (url.startsWith('//')) url = `nats:${url}`;
  if (url === '') url = DEFAULT_BUS_URL;
  const shown = `nats:${describeBusUrl(url)}`;
  parseBusUrl(url);
  const params = new URLSearchParams(queryAt < 0 ? '' : body.slice(queryAt + 1));
  rejectUnknown(params, 'nats', shown);
  const config: NatsSinkConfig = { kind: 'nats', url, ...common(params, shown) };
  const stream = params.get('stream');
  if (stream !== null) {
    checkStreamName(stream);
    config.stream = stream;
  }
  const prefix = params.get('prefix');
  if (prefix !== null) {
    checkSubjectPrefix(prefix);
    config.subjectPrefix = prefix;
  }
  const duplicateWindowMs = wholeNumber(params, 'duplicateWindowMs', shown, 1);
  if (duplicateWindowMs !== undefined) config.duplicateWindowMs = duplicateWindowMs;
  const concurrency = wholeNumber(params, 'concurrency', shown, 1);
  if (concurrency !== undefined) config.concurrency = concurrency;
  const publishTimeoutMs = wholeNumber(params, 'publishTimeoutMs', shown, 1);
  if (publishTimeoutMs !== undefined) config.publishTimeoutMs = publishTimeoutMs;
  return config;
}

function common(params: URLSearchParams, shown: string): CommonSinkConfig {
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

function rejectUnknown(params: URLSearchParams, kind: SinkConfig['kind'], shown: string): void {
  const known = new Set([...COMMON_OPTIONS, ...KIND_OPTIONS[kind]]);
  for (const key of params.keys()) {
    const replaced = REPLACED_OPTIONS[key];
    if (replaced) throw new ConfigError(`${shown}: ${replaced}`);
    if (!known.has(key)) {
      throw new ConfigError(`${shown}: unknown option "${key}".`, {
        hint: `Options of the ${kind} sink: ${[...known].join(', ')}.`,
      });
    }
  }
}

function wholeNumber(params: URLSearchParams, key: string, shown: string, min: number): number | undefined {
  const raw = params.get(key);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${shown}: ${key} must be a whole number of at least ${min}, got "${raw}".`);
  }
  return value;
}

function flag(raw: string, key: string, shown: string): boolean {
  if (raw === 'true' || raw === '1' || raw === '') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${shown}: ${key} must be true or false, got "${raw}".`);
}

/** Builds a sink from a spec string or a {@link SinkConfig}. */
export function createSink(spec: string | SinkConfig, options: CreateSinkOptions = {}): EventSink {
  const config = typeof spec === 'string' ? parseSinkSpec(spec, options.env) : spec;
  const logger = options.logger ?? silentLogger();
  const name = config.name ?? defaultName(config);
  const outbox = withOutboxDir(config.outbox, options.outboxDir);
  const shared = {
    name,
    logger,
    ...(outbox ? { outbox } : {}),
    ...(config.retry ? { retry: config.retry } : {}),
    ...(config.closeTimeoutMs !== undefined ? { closeTimeoutMs: config.closeTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  let sink: EventSink;
  switch (config.kind) {
    case 'stdout':
      sink = createStdoutSink({ ...shared, ...(options.stdout ? { stream: options.stdout } : {}) });
      break;
    case 'file': {
      const { path, maxBytes, keep, rotateDaily, syncEachBatch } = config;
      sink = createFileSink({
        ...shared,
        path,
        ...(maxBytes !== undefined ? { maxBytes } : {}),
        ...(keep !== undefined ? { keep } : {}),
        ...(rotateDaily !== undefined ? { rotateDaily } : {}),
        ...(syncEachBatch !== undefined ? { syncEachBatch } : {}),
      });
      break;
    }
    case 'webhook': {
      if (!config.secret) throw new ConfigError(`Sink "${name}": the webhook secret is empty.`);
      sink = createWebhookSink({
        ...shared,
        url: config.url,
        secret: config.secret,
        ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
        ...(config.headers ? { headers: config.headers } : {}),
      });
      break;
    }
    case 'nats':
      sink = createNatsSink(
        { ...config, name, ...(outbox ? { outbox } : {}) },
        {
          logger,
          ...(options.nats?.bus ? { bus: options.nats.bus } : {}),
          ...(options.nats?.stamp ? { stamp: options.nats.stamp } : {}),
          ...(options.now ? { now: options.now } : {}),
        },
      );
      break;
    default:
      throw new ConfigError(`Unknown sink kind "${(config as { kind: string }).kind}".`, { hint: SPEC_HINT });
  }
  const health = sink.health();
  logger.info(
    {
      sink: sink.name,
      kind: sink.kind,
      policy: health.policy,
      capacity: health.capacity,
      outbox: health.outbox,
    },
    'sink ready',
  );
  return sink;
}

/** Builds a dispatcher over several sinks. */
export function createSinks(specs: readonly (string | SinkConfig)[], options: CreateSinkOptions = {}) {
  return new EventDispatcher(
    specs.map((spec) => createSink(spec, options)),
    options.logger ? { logger: options.logger } : {},
  );
}

function defaultName(config: SinkConfig): string {
  switch (config.kind) {
    case 'stdout':
      return 'stdout';
    case 'file':
      return `file:${config.path}`;
    case 'webhook':
      return `webhook:${describeUrl(config.url)}`;
    case 'nats':
      return defaultNatsSinkName(config);
  }
}

/**
 * Where outboxes go beside a SQLite store (`./switchboard.db` → `./switchboard-outbox`): on the same disk as the
 * checkpoint that counts on them. Undefined for PostgreSQL (`postgres://…`) or an in-memory store.
 */
export function outboxDirBesideStore(store: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(store) || store === ':memory:' || store.trim() === '') return undefined;
  return `${store.replace(/\.(db|sqlite3?)$/i, '')}-outbox`;
}

/** The sink's own outbox directory, or the shared one. */
function withOutboxDir(
  outbox: Partial<OutboxSettings> | undefined,
  shared: string | undefined,
): Partial<OutboxSettings> | undefined {
  if (outbox?.dir || !shared) return outbox;
  return { ...outbox, dir: shared };
}
