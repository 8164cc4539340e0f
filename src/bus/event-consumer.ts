/**
 * Reading lifecycle events from the event stream through a durable pull consumer with explicit acks.
 *
 * The durable keeps its place across restarts; the client resumes after a NATS reconnect. Several processes using
 * the same durable share the work: each message goes to one of them, and comes back (to any of them) when it is
 * not acknowledged within `ackWaitMs`. The caller settles each event it was given: `settle(event)` acks it,
 * `settle(event, error)` naks it with a growing delay. A message that is not a lifecycle event is terminated and
 * logged without its payload.
 *
 * The server hands out at most `maxAckPending` unsettled messages per durable; events wait in memory meanwhile, so
 * `ackWaitMs` should cover handling that many. An event redelivered because it took longer is handled twice, which
 * idempotent consumers (the proactive ledger) absorb.
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { type BackoffSettings, backoffDelay } from '../backoff.js';
import { ConfigError } from '../errors.js';
import { LIFECYCLE_EVENT_TYPES, type LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import { type Bus, versionAtLeast } from './connection.js';
import { checkStreamName, DEFAULT_EVENT_STREAM } from './subjects.js';

/** Options of {@link consumeEvents}. */
export interface ConsumeEventsOptions {
  /** Stream name (default `SWITCHBOARD_EVENTS`). */
  stream?: string;
  /** Durable consumer name; processes using the same name share the events. */
  durable: string;
  /** Subjects to read, e.g. `['switchboard.events.wrapup.*']`; all of the stream when absent. */
  filterSubjects?: string[];
  /** How long an unsettled message waits before it is redelivered, in ms (default 60 s). */
  ackWaitMs?: number;
  /** Most messages handed out and not yet settled, over every process of the durable (default 256). */
  maxAckPending?: number;
  logger?: Logger;
}

/** Counts of what the consumer did. */
export interface EventConsumerStats {
  /** Messages received (redeliveries included). */
  delivered: number;
  acked: number;
  naked: number;
  /** Messages received that had been delivered before. */
  redelivered: number;
  /** Malformed messages terminated. */
  terminated: number;
  /** Events handed out and not yet settled. */
  pending: number;
}

/** A running durable consumer of lifecycle events. */
export interface EventConsumer {
  /** The events, one iteration at a time; ends after `close()`. */
  readonly events: AsyncIterable<LifecycleEvent>;
  /** Acks the event (no error) or naks it for a later redelivery (error). Safe to pass around unbound. */
  settle(event: LifecycleEvent, error?: unknown): void;
  stats(): EventConsumerStats;
  /**
   * Stops reading, hands unsettled messages back to the server (nak, redelivered to another process within seconds
   * rather than after ackWait), and flushes; the bus stays open.
   */
  close(): Promise<void>;
}

export const DEFAULT_ACK_WAIT_MS = 60_000;
export const DEFAULT_MAX_ACK_PENDING = 256;
const MAX_PULL = 100;
/**
 * Life of one pull request. NATS 2.9 keeps serving a pull request after its client unsubscribed, until it expires:
 * what is handed back at close waits that long first, or it would go to the dead request and sit out ackWait.
 */
const PULL_EXPIRES_MS = 5_000;
const NAK_BACKOFF: BackoffSettings = { initialDelayMs: 1_000, maxDelayMs: 60_000, jitter: 'none' };
const REOPEN_BACKOFF: BackoffSettings = { initialDelayMs: 500, maxDelayMs: 15_000, jitter: 'none' };
const CLOSE_FLUSH_MS = 2_000;
const DURABLE_NAME = /^[^\s.*>/\\]+$/;
const CONSUMER_EXISTS = 10148;

/** Starts a durable pull consumer on the event stream; reading begins at the first iteration of `events`. */
export function consumeEvents(bus: Bus, options: ConsumeEventsOptions): EventConsumer {
  return new DurableEventConsumer(bus, options);
}

/** A lifecycle event decoded from a message, or undefined when the message is not one. */
export function decodeLifecycleEvent(data: Uint8Array): LifecycleEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  return isLifecycleEvent(value) ? value : undefined;
}

/** Checks the envelope and the fields each event type is used by. */
export function isLifecycleEvent(value: unknown): value is LifecycleEvent {
  if (!isObject(value)) return false;
  const { id, type, conversationId, occurredAt } = value;
  if (!nonEmpty(id) || !nonEmpty(conversationId) || typeof occurredAt !== 'string') return false;
  if (!(LIFECYCLE_EVENT_TYPES as readonly unknown[]).includes(type)) return false;
  switch (type) {
    case 'participant.joined':
    case 'participant.left':
    case 'conversation.wrapup':
      return isObject(value.participant) && typeof value.participant.participantId === 'string';
    case 'conversation.transferred':
      return isObject(value.from) && typeof value.from.participantId === 'string' && isObject(value.to);
    default:
      return true;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

interface Received {
  event: LifecycleEvent;
  msg: JsMsg;
}

class DurableEventConsumer implements EventConsumer {
  readonly events: AsyncIterable<LifecycleEvent>;
  private readonly stream: string;
  private readonly durable: string;
  private readonly config: Partial<ConsumerConfig>;
  private readonly logger: Logger;
  /** Received and not yet handed out. */
  private buffer: Received[] = [];
  /** Handed out and not yet settled. */
  private readonly pending = new Map<LifecycleEvent, JsMsg>();
  private wake: (() => void) | undefined;
  private messages: ConsumerMessages | undefined;
  private pump: Promise<void> | undefined;
  private failure: Error | undefined;
  private reading = false;
  private stopping = false;
  private readonly stopped = new AbortController();
  private closing: Promise<void> | undefined;
  private readonly counts = { delivered: 0, acked: 0, naked: 0, redelivered: 0, terminated: 0 };

  constructor(
    private readonly bus: Bus,
    options: ConsumeEventsOptions,
  ) {
    this.stream = options.stream ?? DEFAULT_EVENT_STREAM;
    this.durable = options.durable;
    this.logger = (options.logger ?? silentLogger()).child({
      component: 'event-consumer',
      stream: this.stream,
      durable: this.durable,
    });
    checkStreamName(this.stream);
    if (!DURABLE_NAME.test(this.durable)) {
      throw new ConfigError(`"${this.durable}" cannot be a durable consumer name.`, {
        hint: 'Use letters, digits, "-" and "_" only, e.g. switchboard-proactive.',
      });
    }
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    const maxAckPending = options.maxAckPending ?? DEFAULT_MAX_ACK_PENDING;
    if (!Number.isSafeInteger(ackWaitMs) || ackWaitMs < 1) {
      throw new ConfigError(`ackWaitMs must be a whole number of ms of at least 1, got ${ackWaitMs}.`);
    }
    if (!Number.isSafeInteger(maxAckPending) || maxAckPending < 1) {
      throw new ConfigError(`maxAckPending must be a whole number of at least 1, got ${maxAckPending}.`);
    }
    this.config = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: maxAckPending,
      ...this.filterConfig(options.filterSubjects ?? []),
    };
    this.events = { [Symbol.asyncIterator]: () => this.iterate() };
  }

  readonly settle = (event: LifecycleEvent, error?: unknown): void => {
    const msg = this.pending.get(event);
    if (!msg) return;
    this.pending.delete(event);
    try {
      if (error === undefined) {
        msg.ack();
        this.counts.acked += 1;
        return;
      }
      const deliveries = msg.info.deliveryCount;
      const delayMs = backoffDelay(deliveries, NAK_BACKOFF);
      msg.nak(delayMs);
      this.counts.naked += 1;
      this.logger.warn(
        {
          eventId: event.id,
          conversationId: event.conversationId,
          deliveries,
          delayMs,
          err: error instanceof Error ? error.message : String(error),
        },
        'event handling failed; it is redelivered later',
      );
    } catch (thrown) {
      // The connection is gone: the server redelivers the message after ackWait.
      this.logger.warn(
        { eventId: event.id, err: (thrown as Error).message },
        'could not settle an event; the server redelivers it',
      );
    }
  };

  stats(): EventConsumerStats {
    return { ...this.counts, pending: this.pending.size };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private filterConfig(subjects: string[]): Partial<ConsumerConfig> {
    if (subjects.length === 0) return {};
    if (subjects.length === 1) return { filter_subject: subjects[0]! };
    if (!versionAtLeast(this.bus.serverVersion, '2.10.0')) {
      throw new ConfigError(
        `Durable ${this.durable}: several filter subjects need NATS 2.10 or later; the server runs ${this.bus.serverVersion}.`,
        { hint: 'Give one filter subject (wildcards allowed), or upgrade nats-server.' },
      );
    }
    return { filter_subjects: subjects };
  }

  /**
   * A hand-written iterator rather than a generator: `return()` must end a read that is waiting for the next
   * message at once (the engine calls it when stopping), where a generator would queue it behind that read.
   */
  private iterate(): AsyncIterator<LifecycleEvent> {
    if (this.reading) throw new Error('The events of an EventConsumer are read by one loop at a time.');
    this.reading = true;
    this.pump ??= this.run();
    let ended = false;
    const finish = (): IteratorReturnResult<undefined> => {
      if (!ended) {
        ended = true;
        this.reading = false;
        this.notify();
      }
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        if (ended) return { done: true, value: undefined };
        const item = await this.take(() => ended);
        if (!item) return finish();
        if (ended) {
          // The reader left while this one arrived: keep it for the next reader (or close()).
          this.buffer.unshift(item);
          return { done: true, value: undefined };
        }
        this.pending.set(item.event, item.msg);
        return { done: false, value: item.event };
      },
      return: async () => finish(),
    };
  }

  private async take(readerGone: () => boolean): Promise<Received | undefined> {
    for (;;) {
      if (readerGone()) return undefined;
      const item = this.buffer.shift();
      if (item) return item;
      if (this.failure) throw this.failure;
      if (this.stopping) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  private notify(): void {
    this.wake?.();
  }

  /** Opens the consumer and receives messages until closed, reopening after failures. */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        this.messages = await this.open();
        void this.watch(this.messages);
        failures = 0;
        for await (const msg of this.messages) this.receive(msg);
        if (!this.stopping) this.logger.warn('the consumer stopped; reopening');
      } catch (error) {
        if (error instanceof ConfigError) {
          this.failure = error;
          this.notify();
          return;
        }
        if (this.stopping) break;
        failures += 1;
        const level = failures === 1 ? 'warn' : 'debug';
        this.logger[level](
          { err: (error as Error).message, failures },
          'could not read the event stream; retrying',
        );
      } finally {
        this.messages = undefined;
      }
      const delayMs = backoffDelay(failures, REOPEN_BACKOFF);
      await sleep(delayMs, this.stopped.signal);
    }
  }

  /** The client keeps pulling from a deleted consumer; closing makes the loop above create it again. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const status of messages.status()) {
        const gone =
          status.type === 'consumer_deleted' ||
          status.type === 'stream_not_found' ||
          (status.type === 'consumer_not_found' && status.count >= 2);
        if (gone && !this.stopping) {
          this.logger.warn({ notice: status.type }, 'the durable consumer is gone; creating it again');
          await messages.close();
          return;
        }
      }
    } catch {
      // The notifications end with the messages.
    }
  }

  private receive(msg: JsMsg): void {
    this.counts.delivered += 1;
    if (msg.redelivered) this.counts.redelivered += 1;
    if (this.stopping) {
      // Arrived while closing: straight back to the server for another process.
      this.giveBack(msg);
      return;
    }
    const event = decodeLifecycleEvent(msg.data);
    if (!event) {
      // No reason text: NATS before 2.10 does not recognise `+TERM <reason>` and would redeliver the message.
      msg.term();
      this.counts.terminated += 1;
      this.logger.warn(
        { subject: msg.subject, streamSequence: msg.seq, bytes: msg.data.byteLength },
        'terminated a message that is not a lifecycle event',
      );
      return;
    }
    this.buffer.push({ event, msg });
    this.notify();
  }

  private async open(): Promise<ConsumerMessages> {
    await this.ensureDurable();
    const consumer = await this.bus.jetstream.consumers.get(this.stream, this.durable);
    const pull = Math.min(MAX_PULL, this.config.max_ack_pending ?? MAX_PULL);
    return consumer.consume({ max_messages: pull, expires: PULL_EXPIRES_MS });
  }

  private async ensureDurable(): Promise<void> {
    const { manager } = this.bus;
    let info = await this.durableInfo();
    if (!info) {
      try {
        info = await manager.consumers.add(this.stream, this.config);
        this.logger.info('created the durable consumer');
        return;
      } catch (error) {
        // Another process created it at the same time; check what it made.
        if (apiCode(error) !== CONSUMER_EXISTS) throw error;
        info = await this.durableInfo();
        if (!info) throw error;
      }
    }
    const { config } = info;
    if (config.deliver_subject) {
      throw new ConfigError(
        `${this.durable} on stream ${this.stream} is a push consumer; a pull consumer is needed.`,
        {
          hint: 'Use another durable name.',
        },
      );
    }
    if (config.ack_policy !== AckPolicy.Explicit) {
      throw new ConfigError(`${this.durable} on stream ${this.stream} has ack policy ${config.ack_policy}.`, {
        hint: 'Use another durable name: events need explicit acks.',
      });
    }
    const filters = (c: Partial<ConsumerConfig>) =>
      [...(c.filter_subjects ?? []), ...(c.filter_subject ? [c.filter_subject] : [])].sort().join(' ');
    const changed =
      config.ack_wait !== this.config.ack_wait ||
      config.max_ack_pending !== this.config.max_ack_pending ||
      filters(config) !== filters(this.config);
    if (!changed) return;
    try {
      const update: Partial<ConsumerConfig> = {
        ack_wait: this.config.ack_wait!,
        max_ack_pending: this.config.max_ack_pending!,
      };
      if (this.config.filter_subject !== undefined || config.filter_subject) {
        update.filter_subject = this.config.filter_subject ?? '';
      }
      if (this.config.filter_subjects !== undefined) update.filter_subjects = this.config.filter_subjects;
      await manager.consumers.update(this.stream, this.durable, update);
      this.logger.info('updated the durable consumer settings');
    } catch (error) {
      throw new ConfigError(
        `The durable consumer ${this.durable} on stream ${this.stream} exists with other settings and could not be updated: ${(error as Error).message}.`,
        { hint: 'Use another durable name, or delete that consumer (nats consumer rm).', cause: error },
      );
    }
  }

  private async durableInfo(): Promise<ConsumerInfo | undefined> {
    try {
      return await this.bus.manager.consumers.info(this.stream, this.durable);
    } catch (error) {
      const code = apiCode(error);
      if (code === JetStreamApiCodes.ConsumerNotFound) return undefined;
      if (code === JetStreamApiCodes.StreamNotFound) {
        // Not fatal: the publisher creates the stream when it starts; keep trying.
        throw new Error(`stream ${this.stream} does not exist yet`);
      }
      throw error;
    }
  }

  private giveBack(msg: JsMsg): void {
    try {
      msg.nak(PULL_EXPIRES_MS + 1_000);
      this.counts.naked += 1;
    } catch {
      // Connection gone: the server redelivers after ackWait anyway.
    }
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    this.notify();
    try {
      await this.messages?.close();
    } catch {
      // Closing a consumer whose connection is gone.
    }
    await this.pump;
    for (const item of this.buffer.splice(0)) this.giveBack(item.msg);
    for (const msg of this.pending.values()) this.giveBack(msg);
    this.pending.clear();
    if (!this.bus.connection.isClosed()) {
      // So the acks and naks reach the server before the caller closes the bus.
      await Promise.race([this.bus.connection.flush().catch(() => undefined), sleep(CLOSE_FLUSH_MS)]);
    }
  }
}

function apiCode(error: unknown): number | undefined {
  return error instanceof JetStreamApiError ? error.code : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
