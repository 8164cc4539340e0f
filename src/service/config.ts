/**
 * `switchboard.yaml`: read, fill environment references, validate, and resolve into everything the service needs.
 * Every problem of a file is reported at once, each as `file:line:column field: what was expected`, before
 * anything connects. Paths in the file are relative to the file.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { checkClusterSettings } from '../cluster/cluster-stream.js';
import { locateYamlPath } from '../config/yaml-location.js';
import { ConfigError, isSwitchboardError } from '../errors.js';
import { loadPlatformSettings } from '../platform/platform-settings.js';
import type { ResolvedRegion } from '../platform/region.js';
import { outboxDirBesideStore, parseSinkSpec, type SinkConfig } from '../sinks/index.js';
import { localSinkPaths, sinkObjectSchema } from '../sinks/registry.js';
import { isPostgresSpec } from '../store/postgres-url.js';
import type { ConnectionTimingOptions } from '../stream/index.js';
import type { TopicSelection } from '../stream/topic-selector.js';
import { type ServiceFile, serviceFileSchema } from './config-schema.js';
import { fillEnvRefs, type UnsetReference } from './env-refs.js';

/** Everything `startService` needs, resolved and validated. */
export interface ServiceConfig {
  /** The file the settings came from, when there was one (for messages). */
  file?: string;
  genesys: {
    region: ResolvedRegion;
    clientId: string;
    clientSecret: string;
    requestsPerMinute?: number;
  };
  stream: {
    selection: TopicSelection;
    /**
     * Notifications from the EventBridge integration's SQS queue (`source:`): instead of the WebSocket, or beside it
     * with `bothSources`.
     */
    eventBridge?: { queueUrl: string; region?: string; endpoint?: string };
    /**
     * With `eventBridge`: the WebSocket topics are read too, into the same pipeline — one deriver, one dedupe horizon,
     * one checkpoint (`source: [websocket, {eventbridge: …}]`).
     */
    bothSources?: boolean;
    /** How long an ended conversation is remembered, to drop a fact seen again (`dedupeHorizon:`; default 10 min). */
    dedupeHorizonMs?: number;
    backfill: boolean;
    rediscoverEveryMs?: number;
    timing: ConnectionTimingOptions;
  };
  /** A SQLite file, or a `postgres://` URL (shared by replicas). */
  store: { path: string };
  /**
   * Where sinks keep what they have not delivered yet, each in its own file, so it survives a crash: beside a
   * SQLite store by default. Undefined (outboxes in memory, checkpoints after delivery) with PostgreSQL or a bus.
   */
  outboxDir?: string;
  /** NATS JetStream: with it, this process is one replica of a set (see `cluster`). */
  bus?: BusConfig;
  cluster?: ClusterConfig;
  sinks: SinkConfig[];
  proactive?: {
    rulesPath: string;
    dryRun: boolean;
    dueCheckMs?: number;
    /** Its own OAuth client (and so its own rate budget), when configured. */
    client?: { clientId: string; clientSecret: string; requestsPerMinute?: number };
  };
  server: {
    host: string;
    port: number;
    token?: string;
    showCustomerData: boolean;
    recentEvents: number;
  };
  /** Bounds of readiness (defaults when absent): a sink's backlog and an unrecovered gap may be this old. */
  readiness?: { maxBacklogAgeMs: number; maxGapAgeMs: number };
  logLevel?: string;
  shutdownTimeoutMs: number;
}

export interface BusConfig {
  url: string;
  stream: string;
  subjectPrefix: string;
  duplicateWindowMs: number;
  durable: string;
  /** Events the bus sink holds in memory before the shards stop reading (policy stop). */
  outboxCapacity: number;
}

export interface ClusterConfig {
  replicaId: string;
  shards: number;
  spareChannels: number;
  leaseTtlMs: number;
  bucket: string;
}

export interface LoadServiceConfigOptions {
  /** Environment for references and credentials; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Readiness: a sink's oldest undelivered event may wait 5 minutes, a gap stay unrecovered 15. */
export const DEFAULT_MAX_BACKLOG_AGE_MS = 5 * 60_000;
export const DEFAULT_MAX_GAP_AGE_MS = 15 * 60_000;
const HINT = 'Fix the fields listed; examples/switchboard.yaml shows every setting with a comment.';

type Path = Array<string | number>;
interface Problem {
  path: Path;
  message: string;
  /** Point at the key rather than its value (an unknown setting). */
  atKey?: boolean;
}

/** Reads and validates a config file. Throws one ConfigError that lists every problem with its position. */
export function loadServiceConfig(file: string, options: LoadServiceConfigOptions = {}): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`Cannot read config file ${file}: ${(cause as Error).message}`, {
      hint: 'Check the path given to --config; examples/switchboard.yaml is a starting point.',
      cause,
    });
  }
  return parseServiceConfig(text, { ...options, file });
}

/** Validates config text (YAML); `file` names it in messages and anchors relative paths. */
export function parseServiceConfig(
  text: string,
  options: LoadServiceConfigOptions & { file?: string } = {},
): ServiceConfig {
  const file = options.file ?? 'switchboard.yaml';
  const env = options.env ?? process.env;
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    const error = document.errors[0]!;
    const at = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    throw new ConfigError(
      `${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${error.message.split('\n')[0]}`,
      { hint: 'Indent with spaces and write `key: value` pairs.' },
    );
  }
  const raw = document.toJS() ?? {};
  const where = (path: Path, atKey = false): string => {
    const position = locate(document, lines, path, atKey);
    return position ? `${file}:${position.line}:${position.column}` : file;
  };
  const fail = (problems: Problem[]): never => {
    const line = (p: Problem) => locate(document, lines, p.path, p.atKey ?? false)?.line ?? 0;
    problems.sort((a, b) => line(a) - line(b));
    const listed = problems.map((p) => `  ${where(p.path, p.atKey)}  ${showPath(p.path)}: ${p.message}`);
    throw new ConfigError(`Config file ${file} is invalid:\n${listed.join('\n')}`, { hint: HINT });
  };

  const unset: UnsetReference[] = [];
  const filled = fillEnvRefs(raw, env, unset);
  const parsed = serviceFileSchema.safeParse(filled);
  const problems: Problem[] = unset.map((u) => ({
    path: u.path,
    message: `environment variable ${u.variable} is not set (the file refers to it)`,
  }));
  if (!parsed.success) {
    // A field whose reference is unset is already reported; its emptiness is the same problem.
    const unsetPaths = new Set(unset.map((u) => showPath(u.path)));
    problems.push(
      ...parsed.error.issues
        .flatMap((issue) => describeIssue(issue, filled))
        .filter((p) => !unsetPaths.has(showPath(p.path))),
    );
  }
  const base = dirname(resolve(file));
  const local = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const rawSinks = (filled as { sinks?: unknown }).sinks;
  const sinks = Array.isArray(rawSinks) ? checkSinks(rawSinks, env, local, problems) : [];
  if (problems.length > 0 || !parsed.success) return fail(problems);

  const data = parsed.data;
  const server = resolveServer(data, problems);
  if (problems.length > 0) return fail(problems);

  const genesys = loadPlatformSettings({
    ...(data.genesys?.region ? { region: data.genesys.region } : {}),
    ...(data.genesys?.clientId ? { clientId: data.genesys.clientId } : {}),
    ...(data.genesys?.clientSecret ? { clientSecret: data.genesys.clientSecret } : {}),
    env,
  });
  return {
    file,
    genesys: {
      region: genesys.region,
      clientId: genesys.clientId,
      clientSecret: genesys.clientSecret,
      ...(data.genesys?.requestsPerMinute ? { requestsPerMinute: data.genesys.requestsPerMinute } : {}),
    },
    stream: resolveStream(data),
    store: { path: resolveStore(data.store, local) },
    ...resolveOutboxDir(data, local),
    ...resolveCluster(data),
    sinks,
    ...(data.proactive
      ? {
          proactive: {
            rulesPath: local(data.proactive.rules),
            dryRun: data.proactive.dryRun ?? false,
            ...(data.proactive.dueCheckInterval === undefined
              ? {}
              : { dueCheckMs: data.proactive.dueCheckInterval }),
            ...(data.proactive.client ? { client: data.proactive.client } : {}),
          },
        }
      : {}),
    server,
    readiness: {
      maxBacklogAgeMs: data.readiness?.maxBacklogAge ?? DEFAULT_MAX_BACKLOG_AGE_MS,
      maxGapAgeMs: data.readiness?.maxGapAge ?? DEFAULT_MAX_GAP_AGE_MS,
    },
    ...(data.logging?.level ? { logLevel: data.logging.level } : {}),
    shutdownTimeoutMs: data.shutdown?.timeout ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
}

/** Whether a bind address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h === '::ffff:127.0.0.1';
}

/** Refuses a non-loopback bind without an access token, and tokens too short to resist guessing. */
export function checkServerAccess(server: { host: string; token?: string }): string | undefined {
  if (server.token !== undefined && server.token.length < 16) {
    return 'server.token must be at least 16 characters (e.g. `openssl rand -hex 24`)';
  }
  if (!isLoopbackHost(server.host) && server.token === undefined) {
    return `binding ${server.host} exposes the dashboard and API beyond this machine: set server.token (e.g. token: \${SWITCHBOARD_TOKEN}) or bind 127.0.0.1`;
  }
  return undefined;
}

function resolveServer(data: ServiceFile, problems: Problem[]): ServiceConfig['server'] {
  const server = {
    host: data.server?.host ?? '127.0.0.1',
    port: data.server?.port ?? DEFAULT_PORT,
    ...(data.server?.token ? { token: data.server.token } : {}),
    showCustomerData: data.server?.showCustomerData ?? false,
    recentEvents: data.server?.recentEvents ?? 1000,
  };
  const refused = checkServerAccess(server);
  if (refused) {
    problems.push({ path: ['server', server.token === undefined ? 'host' : 'token'], message: refused });
  }
  return server;
}

function resolveStream(data: ServiceFile): ServiceConfig['stream'] {
  const stream = data.stream ?? {};
  const selection: TopicSelection = {};
  if (stream.queues) selection.queues = stream.queues;
  if (stream.users) selection.users = stream.users;
  if (stream.topics && stream.topics.length > 0) selection.topics = stream.topics;
  if (!selection.queues && !selection.users && !selection.topics) selection.queues = 'all';
  const timing: ConnectionTimingOptions = {};
  const t = stream.timing;
  if (t?.heartbeatInterval !== undefined) timing.heartbeatIntervalMs = t.heartbeatInterval;
  if (t?.watchdogMultiple !== undefined) timing.watchdogMultiple = t.watchdogMultiple;
  if (t?.connectTimeout !== undefined) timing.connectTimeoutMs = t.connectTimeout;
  if (t?.rotateBefore !== undefined) timing.rotateBeforeMs = t.rotateBefore;
  const sources =
    stream.source === undefined ? [] : Array.isArray(stream.source) ? stream.source : [stream.source];
  const eventBridge = sources.find((source) => source !== 'websocket')?.eventbridge;
  const bothSources = eventBridge !== undefined && sources.includes('websocket');
  return {
    selection,
    ...(eventBridge ? { eventBridge } : {}),
    ...(bothSources ? { bothSources } : {}),
    ...(stream.dedupeHorizon === undefined ? {} : { dedupeHorizonMs: stream.dedupeHorizon }),
    backfill: stream.backfill ?? true,
    ...(stream.rediscoverEvery === undefined ? {} : { rediscoverEveryMs: stream.rediscoverEvery }),
    timing,
  };
}

/** Checks each sink (spec or object) and resolves the good ones; problems are added with their place. */
function checkSinks(
  entries: unknown[],
  env: Record<string, string | undefined>,
  local: (path: string) => string,
  problems: Problem[],
): SinkConfig[] {
  const sinks: SinkConfig[] = [];
  entries.forEach((entry, index) => {
    if (typeof entry !== 'string') {
      // Not an object at all is the schema's to report.
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return;
      const object = sinkObjectSchema.safeParse(entry);
      if (!object.success) {
        for (const issue of object.error.issues) {
          problems.push(
            ...describeIssue({ ...issue, path: ['sinks', index, ...issue.path] }, { sinks: entries }),
          );
        }
        return;
      }
      sinks.push(resolveSink(object.data, env, local));
      return;
    }
    try {
      sinks.push(resolveSink(entry, env, local));
    } catch (error) {
      if (!isSwitchboardError(error)) throw error;
      problems.push({ path: ['sinks', index], message: error.message });
    }
  });
  return sinks;
}

function resolveSink(
  entry: string | SinkConfig,
  env: Record<string, string | undefined>,
  local: (path: string) => string,
): SinkConfig {
  return localSinkPaths(typeof entry === 'string' ? parseSinkSpec(entry, env) : entry, local);
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path);
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: `unknown setting "${key}"${known ? ` (expected one of: ${known.join(', ')})` : ''}`,
    }));
  }
  if (issue.code === 'invalid_type' && valueAt(root, path) === undefined) {
    return [{ path, message: 'missing (required)' }];
  }
  return [{ path, message: issue.message }];
}

/** The keys a strict object of the schema accepts at `path`, when the path leads to one. */
function knownKeysAt(path: Path): string[] | undefined {
  let schema: z.ZodType = serviceFileSchema;
  for (const step of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject && typeof step === 'string') {
      const next = (schema.shape as Record<string, z.ZodType>)[step];
      if (!next) return undefined;
      schema = next;
    } else if (schema instanceof z.ZodArray && typeof step === 'number') {
      schema = schema.element as z.ZodType;
    } else return undefined;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodPipe) {
    current = (current instanceof z.ZodOptional ? current.unwrap() : current.in) as z.ZodType;
  }
  return current;
}

function showPath(path: Path): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Line and column of a path: the value's node, or for an unknown or missing key the nearest map holding it. */
function locate(
  document: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: Path,
  atKey: boolean,
): { line: number; column: number } | undefined {
  return locateYamlPath(document, lines, path, atKey);
}

function resolveStore(store: ServiceFile['store'], local: (path: string) => string): string {
  const spec = typeof store === 'string' ? store : (store?.path ?? './switchboard.db');
  return isPostgresSpec(spec) ? spec : local(spec);
}

/**
 * Sinks' outboxes go where the config says, else beside a SQLite store (`./switchboard.db` → `./switchboard-outbox/`):
 * the checkpoint there may then pass events once they are safe in an outbox. A replica (with a bus) or a process
 * on PostgreSQL has no local disk it can count on; its outboxes stay in memory and it checkpoints after delivery.
 */
function resolveOutboxDir(data: ServiceFile, local: (path: string) => string): { outboxDir?: string } {
  if (data.outboxDir) return { outboxDir: local(data.outboxDir) };
  const store = resolveStore(data.store, local);
  const beside = data.bus === undefined ? outboxDirBesideStore(store) : undefined;
  return beside ? { outboxDir: beside } : {};
}

/** The bus and cluster settings; a cluster section without a bus is meaningless and refused by the caller. */
function resolveCluster(data: ServiceFile): { bus?: BusConfig; cluster?: ClusterConfig } {
  if (data.bus === undefined) {
    if (data.cluster !== undefined) {
      throw new ConfigError('The config has a cluster section but no bus.', {
        hint: 'Replicas coordinate through NATS: add `bus: nats://host:4222`, or remove the cluster section.',
      });
    }
    return {};
  }
  const bus = typeof data.bus === 'string' ? { url: data.bus } : data.bus;
  const cluster: ClusterConfig = {
    replicaId: data.cluster?.replicaId ?? `${hostname()}-${process.pid}`,
    shards: data.cluster?.shards ?? 4,
    spareChannels: data.cluster?.spareChannels ?? 2,
    leaseTtlMs: data.cluster?.leaseTtl ?? 15_000,
    bucket: data.cluster?.bucket ?? 'switchboard',
  };
  checkClusterSettings(cluster);
  return {
    bus: {
      url: bus.url,
      stream: ('stream' in bus && bus.stream) || 'SWITCHBOARD_EVENTS',
      subjectPrefix: ('subjectPrefix' in bus && bus.subjectPrefix) || 'switchboard.events',
      duplicateWindowMs: ('duplicateWindow' in bus && bus.duplicateWindow) || 10 * 60_000,
      durable: ('durable' in bus && bus.durable) || 'switchboard-proactive',
      outboxCapacity: ('outboxCapacity' in bus && bus.outboxCapacity) || 50_000,
    },
    cluster,
  };
}
