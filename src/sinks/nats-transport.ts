/**
 * How the `nats` sink (nats.ts) publishes to NATS JetStream: each event as JSON (as every sink writes it) on its
 * subject (see src/bus/event-stream.ts), with the event id as JetStream message id so the stream drops a republished event within its
 * duplicate window. A publish counts once its ack arrived; a duplicate ack is counted, not an error.
 *
 * Events of one conversation are published one after the other, each after the previous one's ack: pipelining them
 * could reorder them around a reconnect (what was buffered goes out before what was lost in the dead socket).
 * Different conversations proceed in parallel. Any failure but an oversized event is retryable, so the sink
 * retries and a NATS restart loses nothing.
 *
 * A `stamp` hook, called right before each publish, adds headers (shard, epoch, replica) and may refuse the publish:
 * a replica that lost its shard lease stops publishing as owner, and an event no shard owner vouches for is not
 * published at all. Refused events are counted as `fenced` and logged by their ids and the reason, never their body.
 *
 * The NATS client itself (nats-client.ts) is loaded when the transport first sets up, not when it is built.
 */
import type { Bus } from '../bus/connection.js';
import type { EventStreamOptions } from '../bus/event-stream.js';
import { busSubject, DEFAULT_EVENT_STREAM, DEFAULT_SUBJECT_PREFIX } from '../bus/subjects.js';
import { describeBusUrl } from '../bus/url.js';
import type { LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import { DeliveryError } from './errors.js';
import type { DeliveryContext, SinkTransport } from './types.js';

/** What the stamp hook decides for one event. */
export interface PublishStamp {
  /** Headers added to the message, e.g. `Switchboard-Shard`, `Switchboard-Epoch`, `Switchboard-Replica`. */
  headers?: Record<string, string>;
  /** False: do not publish this event (counted as fenced). */
  allowed: boolean;
  /**
   * With `allowed: false`: not yet, rather than never. The batch is retried later (e.g. while a replica cannot
   * confirm its lease because NATS is briefly away: once confirmed, the events go out; once lost, they are refused).
   */
  wait?: boolean;
  /** With `allowed: false`: why, for the log (e.g. `lease lost`, `no recorded origin`). */
  reason?: string;
}

/** Called right before each publish. */
export type PublishStampHook = (event: LifecycleEvent) => PublishStamp;

/** What the transport has done so far. */
export interface NatsPublishStats {
  /** Events the stream stored. */
  published: number;
  /** Events the stream already had (same id within the duplicate window). */
  duplicates: number;
  /** Events not published because the stamp hook refused them. */
  fenced: number;
}

/** Options of {@link NatsTransport}. */
export interface NatsTransportOptions {
  /** Where to connect when no `bus` is given. */
  url?: string;
  /** A connection to borrow; the transport never closes it. */
  bus?: Bus;
  stream?: string;
  subjectPrefix?: string;
  duplicateWindowMs?: number;
  /** Create or check the stream before the first publish (default true). */
  ensureStream?: boolean;
  publishTimeoutMs?: number;
  stamp?: PublishStampHook;
  logger?: Logger;
  /** Clock of the fencing log bursts; `Date.now` by default. */
  now?: () => number;
}

type NatsClient = typeof import('./nats-client.js');

const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
/** A pause in fencing this long ends a burst; the next fenced event is logged again. */
const FENCE_BURST_GAP_MS = 5_000;

/** Publishes batches of events to JetStream; see the module comment. */
export class NatsTransport implements SinkTransport {
  readonly kind = 'nats';
  readonly target: string;
  private readonly options: NatsTransportOptions;
  private readonly stream: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private client: NatsClient | undefined;
  private connecting: Promise<Bus> | undefined;
  private owned: Bus | undefined;
  private streamReady = false;
  private closed = false;
  private readonly counts: NatsPublishStats = { published: 0, duplicates: 0, fenced: 0 };
  /** Fenced events of the current burst, when the last one was, and why: one log line per burst and reason. */
  private fencedBurst = 0;
  private lastFencedAt = Number.NEGATIVE_INFINITY;
  private lastFenceReason: string | undefined;
  private readonly now: () => number;
  private lastSetupProblem = '';

  constructor(options: NatsTransportOptions) {
    if (!options.bus && !options.url) throw new TypeError('NatsTransport needs a url or a bus');
    this.options = options;
    this.stream = options.stream ?? DEFAULT_EVENT_STREAM;
    this.prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    this.timeoutMs = options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
    this.logger = options.logger ?? silentLogger();
    this.now = options.now ?? Date.now;
    const server = options.bus?.description ?? describeBusUrl(options.url!);
    this.target = `${server}/${this.stream}`;
  }

  /** Counts of published, duplicate and fenced events. */
  stats(): NatsPublishStats {
    return { ...this.counts };
  }

  /**
   * Connects (unless a bus was borrowed) and makes sure the stream exists. Deliveries do this themselves; call it
   * to fail fast at start-up. Throws the connection's or the stream's ConfigError.
   */
  async ready(): Promise<Bus> {
    if (this.closed) throw new DeliveryError(`${this.target}: the sink is closed`, { retryable: false });
    const client = await this.loadClient();
    const bus = this.options.bus ?? (await this.connect(client));
    if (!this.streamReady && this.options.ensureStream !== false) {
      const settings: EventStreamOptions = { stream: this.stream, subjectPrefix: this.prefix };
      if (this.options.duplicateWindowMs !== undefined)
        settings.duplicateWindowMs = this.options.duplicateWindowMs;
      await client.ensureEventStream(bus, settings);
      this.streamReady = true;
    }
    return bus;
  }

  async deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void> {
    const bus = await this.setUp();
    const client = await this.loadClient();
    // Conversations in parallel, each in order; wait for all so nothing is in flight when the batch is retried.
    const lanes = new Map<string, LifecycleEvent[]>();
    for (const event of events) {
      const lane = lanes.get(event.conversationId);
      if (lane) lane.push(event);
      else lanes.set(event.conversationId, [event]);
    }
    const results = await Promise.allSettled(
      [...lanes.values()].map((lane) => this.publishLane(client, bus, lane, context)),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  async close(): Promise<void> {
    this.closed = true;
    const owned = this.owned ?? (await this.connecting?.catch(() => undefined));
    this.owned = undefined;
    this.connecting = undefined;
    await owned?.close();
  }

  /** The NATS client, loaded on first use. */
  private async loadClient(): Promise<NatsClient> {
    this.client ??= await import('./nats-client.js');
    return this.client;
  }

  private async connect(client: NatsClient): Promise<Bus> {
    this.connecting ??= client
      .connectBus({
        url: this.options.url!,
        name: 'switchboard-sink',
        logger: this.logger,
        timeoutMs: this.timeoutMs,
      })
      .then(
        (bus) => {
          if (this.closed) {
            void bus.close();
            throw new DeliveryError(`${this.target}: the sink is closed`, { retryable: false });
          }
          this.owned = bus;
          return bus;
        },
        (error: unknown) => {
          this.connecting = undefined;
          throw error;
        },
      );
    return this.connecting;
  }

  /** {@link ready}, with failures turned into retryable delivery errors (the operator may still fix NATS). */
  private async setUp(): Promise<Bus> {
    try {
      const bus = await this.ready();
      this.lastSetupProblem = '';
      return bus;
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastSetupProblem) {
        this.lastSetupProblem = message;
        this.logger.error(
          { target: this.target, err: message, hint: (error as { hint?: string }).hint },
          'NATS event stream not available; events wait in the outbox',
        );
      }
      throw new DeliveryError(message.slice(0, 300), { retryable: true, code: 'nats_unavailable' });
    }
  }

  private async publishLane(
    client: NatsClient,
    bus: Bus,
    lane: LifecycleEvent[],
    context: DeliveryContext,
  ): Promise<void> {
    for (const event of lane) {
      if (context.signal.aborted) {
        throw new DeliveryError(`${this.target}: publish aborted, sink closing`, {
          retryable: false,
          code: 'nats_aborted',
        });
      }
      const stamp = this.stampOf(event);
      if (!stamp.allowed && stamp.wait) {
        throw new DeliveryError(`${this.target}: waiting until the publisher may publish again`, {
          retryable: true,
          code: 'nats_fence_wait',
        });
      }
      if (!stamp.allowed) {
        this.fence(event, stamp.reason ?? 'shard not owned');
        continue;
      }
      const options: Parameters<Bus['jetstream']['publish']>[2] = {
        msgID: event.id,
        timeout: this.timeoutMs,
        expect: { streamName: this.stream },
      };
      if (stamp.headers && Object.keys(stamp.headers).length > 0) {
        const headers = client.headers();
        for (const [key, value] of Object.entries(stamp.headers)) headers.set(key, value);
        options.headers = headers;
      }
      try {
        const ack = await bus.jetstream.publish(
          busSubject(this.prefix, event),
          JSON.stringify(event),
          options,
        );
        if (ack.duplicate) this.counts.duplicates += 1;
        else this.counts.published += 1;
      } catch (error) {
        throw this.publishError(client, error);
      }
    }
  }

  private stampOf(event: LifecycleEvent): PublishStamp {
    if (!this.options.stamp) return { allowed: true };
    try {
      return this.options.stamp(event);
    } catch (error) {
      throw new DeliveryError(
        `${this.target}: the stamp hook failed: ${(error as Error).message}`.slice(0, 300),
        {
          retryable: true,
          code: 'nats_stamp_failed',
        },
      );
    }
  }

  /**
   * Counts a fenced event. A burst is a run of fenced events without a pause of {@link FENCE_BURST_GAP_MS}; only
   * its first is logged (with the size of the burst before), as owned and lost shards' events may alternate. A new
   * reason starts a new burst, so an event refused for another reason is never hidden in a burst. Only ids are
   * logged: the event's body may carry customer data.
   */
  private fence(event: LifecycleEvent, reason: string): void {
    this.counts.fenced += 1;
    const now = this.now();
    if (now - this.lastFencedAt > FENCE_BURST_GAP_MS || reason !== this.lastFenceReason) {
      this.logger.info(
        {
          eventId: event.id,
          conversationId: event.conversationId,
          target: this.target,
          reason,
          ...(this.fencedBurst > 0 ? { previousBurst: this.fencedBurst } : {}),
        },
        `not publishing events: the stamp hook refused them (${reason})`,
      );
      this.fencedBurst = 0;
      this.lastFenceReason = reason;
    }
    this.fencedBurst += 1;
    this.lastFencedAt = now;
  }

  private publishError(client: NatsClient, error: unknown): DeliveryError {
    const message = error instanceof Error ? error.message : String(error);
    if (/max_payload/i.test(message)) {
      return new DeliveryError(`${this.target}: the event is larger than the server's max_payload`, {
        retryable: false,
        code: 'nats_too_large',
      });
    }
    if (/jetstream is not enabled|no responders/i.test(message)) {
      // Nothing took the subject: the stream was deleted, or JetStream is restarting. Check it again next time.
      this.streamReady = false;
      return new DeliveryError(`${this.target}: no stream answered`, {
        retryable: true,
        code: 'nats_no_stream',
      });
    }
    if (error instanceof client.TimeoutError || /timeout/i.test(message)) {
      return new DeliveryError(`${this.target}: no publish ack within ${this.timeoutMs} ms`, {
        retryable: true,
        code: 'nats_timeout',
      });
    }
    if (error instanceof client.JetStreamApiError) {
      this.streamReady = false;
      return new DeliveryError(`${this.target}: JetStream refused the publish: ${message}`.slice(0, 300), {
        retryable: true,
        code: 'nats_refused',
      });
    }
    return new DeliveryError(`${this.target}: publish failed: ${message}`.slice(0, 300), {
      retryable: true,
      code: 'nats_error',
    });
  }
}
