/**
 * The shape of `switchboard.yaml`, as strict zod schemas: a misspelt key is an error, not a silently ignored
 * setting. Durations are written as `30s`, `10m`, `1h` or a number of milliseconds.
 */
import { z } from 'zod';
import { duration, text } from '../config/settings-schema.js';
import { sinkKindNames } from '../sinks/registry.js';

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

const sourceEntry = z.union(
  [
    z.literal('websocket'),
    z.strictObject({
      eventbridge: z.strictObject({ queueUrl: text, region: text.optional(), endpoint: text.optional() }),
    }),
  ],
  { message: 'expected websocket or {eventbridge: {queueUrl, region?, endpoint?}}' },
);

/** Both sources at once: each kind at most once (one WebSocket pool, one queue). */
const sourceList = z
  .array(sourceEntry)
  .min(1, 'expected at least one source (websocket, {eventbridge: …}, or both)')
  .superRefine((entries, context) => {
    const kinds = entries.map((entry) => (entry === 'websocket' ? 'websocket' : 'eventbridge'));
    kinds.forEach((kind, index) => {
      if (kinds.indexOf(kind) !== index) {
        context.addIssue({
          code: 'custom',
          path: [index],
          message: `${kind} is listed twice: a list takes websocket and one {eventbridge: …} at most`,
        });
      }
    });
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
  /**
   * How long an ended conversation is remembered after its last notification (default 10m), so a fact seen again
   * within it — a late duplicate, the other source's copy, a redelivered SQS message — is dropped; kept in the
   * checkpoint, so it holds across restarts. Beyond it a fact seen again is delivered again, with the same id.
   */
  dedupeHorizon: duration.optional(),
  /**
   * Where notifications come from: `websocket` (default, the topics above), `{eventbridge: {queueUrl, region?,
   * endpoint?}}`, the SQS queue Genesys Cloud's EventBridge integration fills (AWS credentials from the SDK's chain),
   * or a list of both (`[websocket, {eventbridge: …}]`), read into one pipeline so each fact is delivered once.
   */
  source: z
    .union([sourceEntry, sourceList], {
      message: 'expected websocket, {eventbridge: {queueUrl, region?, endpoint?}}, or a list of both',
    })
    .optional(),
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

/** A sink: a command-line style spec (`file:./events.jsonl?keep=5`) or an object with `kind` (checked one by one). */
const sinkSchema = z.union([text, z.record(z.string(), z.unknown())], {
  message: `expected a sink spec such as "stdout" or an object with kind: ${sinkKindNames().join(' | ')}`,
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
