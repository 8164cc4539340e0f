/**
 * The `nats` sink kind: events published to NATS JetStream (see nats-transport.ts for how), in order per
 * conversation, several conversations at once. The bus (src/bus/) keeps the connection, the event stream's
 * subjects and the consumer; this module is the sink.
 *
 *   nats://127.0.0.1:4222?stream=SWITCHBOARD_EVENTS&prefix=switchboard.events
 *
 * Options: `stream`, `prefix`, `duplicateWindowMs`, `concurrency`, `publishTimeoutMs`; `nats:` alone means
 * nats://127.0.0.1:4222. The URL may carry credentials; they are never shown.
 */
import { z } from 'zod';
import type { Bus } from '../bus/connection.js';
import { checkStreamName, checkSubjectPrefix, DEFAULT_EVENT_STREAM } from '../bus/subjects.js';
import { describeBusUrl, parseBusUrl } from '../bus/url.js';
import { checked, duration } from '../config/settings-schema.js';
import type { Logger } from '../logging.js';
import {
  COMMON_SINK_SETTINGS,
  type CommonSinkConfig,
  checkSpecOptions,
  readCommonOptions,
  type SinkKind,
  splitSpec,
  wholeNumber,
} from './kind.js';
import { type NatsPublishStats, NatsTransport, type PublishStampHook } from './nats-transport.js';
import { QueuedSink, type QueuedSinkOptions } from './queued-sink.js';

/** The NATS sink described as data: the `{kind: 'nats', url, …}` object form and the `nats://…` spec. */
export interface NatsSinkConfig extends CommonSinkConfig {
  kind: 'nats';
  /** `nats://host:port`, `nats://user:pass@host:port`, … */
  url: string;
  /** Stream name (default `SWITCHBOARD_EVENTS`). */
  stream?: string;
  /** Subject prefix (default `switchboard.events`). */
  subjectPrefix?: string;
  /** Duplicate window of the stream, in ms (default 10 min; applied to an existing stream only when set). */
  duplicateWindowMs?: number;
  /** Conversations published at once (default 16). */
  concurrency?: number;
  /** Wait for each publish ack, in ms (default 5000). */
  publishTimeoutMs?: number;
}

const DEFAULT_CONCURRENCY = 16;
const BATCH_SIZE = 32;
/** Where `nats:` without a URL connects. */
const DEFAULT_BUS_URL = 'nats://127.0.0.1:4222';

/** A queued sink publishing to JetStream, with the transport's counts at hand. */
export class NatsSink extends QueuedSink {
  readonly nats: NatsTransport;

  constructor(options: Omit<QueuedSinkOptions, 'transport'>, transport: NatsTransport) {
    super({ ...options, transport });
    this.nats = transport;
  }

  /** Published, duplicate and fenced counts. */
  publishStats(): NatsPublishStats {
    return this.nats.stats();
  }

  /** Connects and checks the stream now rather than at the first delivery; throws what is wrong. */
  ready(): Promise<Bus> {
    return this.nats.ready();
  }
}

/** What {@link createNatsSink} may borrow from its surroundings. */
export interface NatsSinkOptions {
  /** A connection to share; without it the sink connects to `config.url` itself and closes that at close. */
  bus?: Bus;
  stamp?: PublishStampHook;
  logger?: Logger;
  now?: () => number;
  random?: () => number;
}

/** The sink name when none is configured: `nats:<host:port>/<stream>`, without credentials. */
export function defaultNatsSinkName(config: Pick<NatsSinkConfig, 'url' | 'stream'>): string {
  const server = describeBusUrl(config.url).replace(/^[a-z]+:\/\//, '');
  return `nats:${server}/${config.stream ?? DEFAULT_EVENT_STREAM}`;
}

/** A sink publishing each event to NATS JetStream, in order per conversation, several conversations at once. */
export function createNatsSink(config: NatsSinkConfig, options: NatsSinkOptions = {}): NatsSink {
  const name = config.name ?? defaultNatsSinkName(config);
  const transport = new NatsTransport({
    url: config.url,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(config.stream !== undefined ? { stream: config.stream } : {}),
    ...(config.subjectPrefix !== undefined ? { subjectPrefix: config.subjectPrefix } : {}),
    ...(config.duplicateWindowMs !== undefined ? { duplicateWindowMs: config.duplicateWindowMs } : {}),
    ...(config.publishTimeoutMs !== undefined ? { publishTimeoutMs: config.publishTimeoutMs } : {}),
    ...(options.stamp ? { stamp: options.stamp } : {}),
    ...(options.logger ? { logger: options.logger.child({ sink: name }) } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return new NatsSink(
    {
      name,
      ordering: 'conversation',
      concurrency: config.concurrency ?? DEFAULT_CONCURRENCY,
      batchSize: BATCH_SIZE,
      ...(config.outbox ? { outbox: config.outbox } : {}),
      ...(config.retry ? { retry: config.retry } : {}),
      ...(config.closeTimeoutMs !== undefined ? { closeTimeoutMs: config.closeTimeoutMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.random ? { random: options.random } : {}),
    },
    transport,
  );
}

/** The `nats` kind: `nats:`, `nats://host:port?…`, `nats:host:port?…`. */
export const natsSink: SinkKind<NatsSinkConfig> = {
  kind: 'nats',
  usage: 'nats://host:port[?stream=&prefix=]',
  options: ['stream', 'prefix', 'duplicateWindowMs', 'concurrency', 'publishTimeoutMs'],

  parseSpec(body) {
    const split = splitSpec(body);
    let url = split.target;
    if (url.startsWith('//')) url = `nats:${url}`;
    if (url === '') url = DEFAULT_BUS_URL;
    const { params } = split;
    const shown = `nats:${describeBusUrl(url)}`;
    parseBusUrl(url);
    checkSpecOptions(params, natsSink, shown);
    const config: NatsSinkConfig = { kind: 'nats', url, ...readCommonOptions(params, shown) };
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
  },

  schema: z.strictObject({
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
    ...COMMON_SINK_SETTINGS,
  }),

  defaultName: defaultNatsSinkName,

  create(config, basics, options) {
    return createNatsSink(
      {
        ...config,
        name: basics.name,
        ...(basics.outbox ? { outbox: basics.outbox } : {}),
      },
      {
        logger: basics.logger,
        ...(options.nats?.bus ? { bus: options.nats.bus } : {}),
        ...(options.nats?.stamp ? { stamp: options.nats.stamp } : {}),
        ...(basics.now ? { now: basics.now } : {}),
      },
    );
  },
};
