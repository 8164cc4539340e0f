/**
 * The shape of `switchboard.yaml`, as strict zod schemas: a misspelt key is an error, not a silently ignored
 * setting. Durations are written as `30s`, `10m`, `1h` or a number of milliseconds.
 */
import { z } from 'zod';
import { checkStreamName, checkSubjectPrefix } from '../bus/event-stream.js';
import { parseBusUrl } from '../bus/url.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `10m`, `1h`, `1d`, or a number of milliseconds; undefined when not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

const duration = z
  .union([z.number(), z.string()], { message: 'expected a duration such as "30s" or a number of ms' })
  .transform((value, context) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      context.addIssue({
        code: 'custom',
        message: `expected a duration such as "30s", "10m" or a number of ms, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const text = z
  .string({ message: 'expected a string' })
  .trim()
  .min(1, { message: 'expected a non-empty string' });

const selector = z.union([z.literal('all'), z.array(text).min(1)], {
  message: 'expected "all" or a list of ids (queues: ids or names)',
});

const genesysSchema = z.strictObject({
  /** Region domain (`mypurecloud.ie`), SDK name (`eu_west_1`) or a base URL (the emulator). */
  region: text.optional(),
  clientId: text.optional(),
  clientSecret: text.optional(),
  /** Requests per minute the client allows itself (the platform's default limit is 300). */
  requestsPerMinute: z.number().int().positive().optional(),
});

const timingSchema = z.strictObject({
  heartbeatInterval: duration.optional(),
  watchdogMultiple: z.number().min(1).optional(),
  connectTimeout: duration.optional(),
  rotateBefore: duration.optional(),
});

const streamSchema = z.strictObject({
  queues: selector.optional(),
  users: selector.optional(),
  topics: z.array(text).optional(),
  /** Fill gaps from REST after a reconnect (default true). */
  backfill: z.boolean().optional(),
  /** How often queues and users are listed again (default 10m; 0 never). */
  rediscoverEvery: duration.optional(),
  timing: timingSchema.optional(),
});

const storeSchema = z.union(
  [
    text,
    z.strictObject({
      /** SQLite file for checkpoints and the proactive ledger (default ./switchboard.db), or a postgres:// URL. */
      path: text.optional(),
    }),
  ],
  { message: 'expected a SQLite file path, a postgres:// URL, or { path: … }' },
);

const busSchema = z.union(
  [
    text,
    z.strictObject({
      /** `nats://host:4222` (JetStream on, nats-server 2.9 or later). */
      url: text,
      /** JetStream stream of the events (default SWITCHBOARD_EVENTS). */
      stream: text.optional(),
      /** Subject prefix (default switchboard.events): `<prefix>.<type>.<conversationId>`. */
      subjectPrefix: text.optional(),
      /** Dedupe window of the stream; longer than any hand-over (default 10m). */
      duplicateWindow: duration.optional(),
      /** Durable consumer the proactive engine replicas share (default switchboard-proactive). */
      durable: text.optional(),
      /**
       * Events waiting for JetStream in this replica's memory before its shards stop reading (default 50000); what
       * they do not read meanwhile is backfilled once NATS is back.
       */
      outboxCapacity: z.number().int().positive().optional(),
    }),
  ],
  { message: 'expected a nats:// URL or { url: nats://… }' },
);

const clusterSchema = z.strictObject({
  /** This replica's id, unique in the set (default: hostname and process id). */
  replicaId: text.optional(),
  /** Shards the topics are split into, one channel each (default 4). Every replica must use the same number. */
  shards: z.number().int().min(1).max(19).optional(),
  /** Channels kept free across the set for hand-overs and rotations (default 2). shards + spares ≤ 20. */
  spareChannels: z.number().int().min(1).max(19).optional(),
  /** A lease not renewed for this long expires and its shard moves (default 15s). */
  leaseTtl: duration.optional(),
  /** Prefix of the coordination buckets (default switchboard). */
  bucket: text.optional(),
});

/** A sink's outbox: where it keeps what it has not delivered (on disk in `dir`), its bound, and past the bound what. */
const outboxSchema = z.strictObject({
  dir: text.optional(),
  capacity: z.number().int().positive().optional(),
  maxBytes: z.number().int().positive().optional(),
  // `block` and `spill` are earlier names of what `stop` does now.
  policy: z
    .enum(['stop', 'drop-oldest', 'block', 'spill'])
    .transform((policy) => (policy === 'block' || policy === 'spill' ? 'stop' : policy))
    .optional(),
});

const retrySchema = z.strictObject({
  maxAttempts: z.number().int().nonnegative().optional(),
  initialDelayMs: z.number().int().positive().optional(),
  maxDelayMs: z.number().int().positive().optional(),
});

const commonSink = {
  name: text.optional(),
  outbox: outboxSchema.optional(),
  retry: retrySchema.optional(),
  closeTimeoutMs: z.number().int().nonnegative().optional(),
};

/** A check that throws ConfigError, as a zod refinement reporting the error's message (never a credential). */
function checked(check: (value: string) => void) {
  return text.superRefine((value, context) => {
    try {
      check(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
}

export const sinkObjectSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('stdout'), ...commonSink }),
    z.strictObject({
      kind: z.literal('file'),
      path: text,
      maxBytes: z.number().int().nonnegative().optional(),
      keep: z.number().int().nonnegative().optional(),
      rotateDaily: z.boolean().optional(),
      syncEachBatch: z.boolean().optional(),
      ...commonSink,
    }),
    z.strictObject({
      kind: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL' }),
      /** Signing secret: write `env:NAME` or `${NAME}`, never the secret itself. */
      secret: text,
      timeoutMs: z.number().int().positive().optional(),
      concurrency: z.number().int().positive().optional(),
      headers: z.record(z.string(), z.string()).optional(),
      ...commonSink,
    }),
    z.strictObject({
      kind: z.literal('nats'),
      /** `nats://host:4222`; credentials as `nats://user:${NATS_PASSWORD}@host:4222`, never written out. */
      url: checked(parseBusUrl),
      stream: checked(checkStreamName).optional(),
      subjectPrefix: checked(checkSubjectPrefix).optional(),
      duplicateWindowMs: duration
        .pipe(z.number().int().min(1, { message: 'expected at least 1 ms' }))
        .optional(),
      concurrency: z.number().int().positive().optional(),
      publishTimeoutMs: z.number().int().positive().optional(),
      ...commonSink,
    }),
  ],
  { message: 'expected kind: stdout, file, webhook or nats' },
);

/** A sink: a command-line style spec (`file:./events.jsonl?keep=5`) or an object with `kind` (checked one by one). */
const sinkSchema = z.union([text, z.record(z.string(), z.unknown())], {
  message: 'expected a sink spec such as "stdout" or an object with kind: stdout | file | webhook | nats',
});

const proactiveSchema = z.strictObject({
  /** The rules file (YAML), relative to this file. */
  rules: text,
  /** Decide and record nothing, send nothing: log what would happen. */
  dryRun: z.boolean().optional(),
  /** How often deferred decisions are looked for (default 15s). */
  dueCheckInterval: duration.optional(),
  /**
   * A second OAuth client (same region) for the engine's lookups and sends: its own rate budget (300 a minute by
   * default), so a proactive campaign never slows the stream. Secrets as `env:NAME` or `${NAME}`.
   */
  client: z
    .strictObject({
      clientId: text,
      clientSecret: text,
      requestsPerMinute: z.number().int().positive().optional(),
    })
    .optional(),
});

const serverSchema = z.strictObject({
  /** Interface to bind (default 127.0.0.1). Any other needs `token`. */
  host: text.optional(),
  port: z
    .number({ message: 'expected a port number' })
    .int({ message: 'expected a whole port number' })
    .min(0, { message: 'expected a port from 0 to 65535' })
    .max(65535, { message: 'expected a port from 0 to 65535' })
    .optional(),
  /** Access token for the dashboard, API and metrics (Bearer header, or `?token=` once for a cookie). */
  token: text.optional(),
  /** Show customer-identifying fields (wrap-up notes, addresses) on the dashboard and API (default false). */
  showCustomerData: z.boolean().optional(),
  /** Latest events kept for `/api/events` and the dashboard (default 1000). */
  recentEvents: z.number().int().min(10).max(100_000).optional(),
});

const positiveDuration = duration.pipe(z.number().positive({ message: 'expected a duration above 0' }));

const readinessSchema = z.strictObject({
  /** A sink's oldest undelivered event may wait this long before the service is not ready (default 5m). */
  maxBacklogAge: positiveDuration.optional(),
  /** The oldest moment a gap recovery has not recovered may be this old before the service is not ready (default 15m). */
  maxGapAge: positiveDuration.optional(),
});

export const serviceFileSchema = z.strictObject({
  genesys: genesysSchema.optional(),
  stream: streamSchema.optional(),
  store: storeSchema.optional(),
  /** Where sinks keep what they have not delivered yet (default: beside a SQLite store; memory with a bus). */
  outboxDir: text.optional(),
  /** NATS JetStream: events are published there and the replicas coordinate through it. */
  bus: busSchema.optional(),
  cluster: clusterSchema.optional(),
  sinks: z.array(sinkSchema).optional(),
  proactive: proactiveSchema.optional(),
  server: serverSchema.optional(),
  /** When `/readyz` says not ready besides disconnected channels: a backlog or a gap older than these. */
  readiness: readinessSchema.optional(),
  logging: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) })
    .optional(),
  shutdown: z.strictObject({ timeout: duration.optional() }).optional(),
});

export type ServiceFile = z.output<typeof serviceFileSchema>;
export type SinkObject = z.output<typeof sinkObjectSchema>;
