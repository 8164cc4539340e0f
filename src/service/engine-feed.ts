/**
 * The proactive engine fed through a sink (single process). The engine is one more destination of the stream's
 * events: a {@link SinkTransport} whose `deliver` hands a batch to the running engine and resolves only once the
 * engine has settled every event of it (its decisions recorded). While the engine is down or restarting, `deliver`
 * throws a retryable {@link DeliveryError}: the events stay in the sink's outbox, bounded by its policy, and nothing
 * is dropped on the way. Each engine run reads its own iterable ({@link EngineFeed.open}); when a run ends, what it
 * had not settled goes back to the sink to be delivered to the next run.
 */
import type { LifecycleEvent } from '../events.js';
import type { Logger } from '../logging.js';
import { DeliveryError } from '../sinks/errors.js';
import { QueuedSink } from '../sinks/queued-sink.js';
import type { DeliveryContext, EventSink, SinkTransport } from '../sinks/types.js';

/** What one engine run reads, and how it says an event is done. */
export interface EngineRunFeed {
  readonly events: AsyncIterable<LifecycleEvent>;
  onEventSettled(event: LifecycleEvent, error?: unknown): void;
  /** The run is over: what it has not settled is handed back (to the sink, or to the bus). */
  close(): Promise<void>;
}

/** Name of the engine's sink in health, metrics and logs. */
export const ENGINE_SINK_NAME = 'proactive';
/**
 * Conversations handed to the engine at once. The engine bounds its own work (the rules' `concurrency`); this only
 * keeps it fed. Events of one conversation go one at a time, in order, as the engine's live-session state needs.
 */
const ENGINE_SINK_CONCURRENCY = 16;
/** Retries while the engine is down: soon after it is back, without a storm of attempts meanwhile. */
const ENGINE_SINK_RETRY = { initialDelayMs: 250, maxDelayMs: 5_000 };

interface Handed {
  event: LifecycleEvent;
  resolve: () => void;
  reject: (error: DeliveryError) => void;
}

/** The transport between the sink and the engine's runs. */
export class EngineFeed implements SinkTransport {
  readonly kind = 'proactive';
  readonly target = 'the proactive engine (this process)';
  private run: FeedRun | undefined;
  /** Events come before the engine's first run (the stream starts first): they wait for it, not retry. */
  private opened = false;
  private readonly firstOpen: Promise<void>;
  private markOpened: () => void = () => undefined;

  constructor() {
    this.firstOpen = new Promise((resolve) => {
      this.markOpened = resolve;
    });
  }
  /** Events settled without error by some run; a retried batch skips them (the sink retries the same objects). */
  private readonly settled = new WeakSet<LifecycleEvent>();

  /** Opens the events of a new engine run (ending any earlier one). */
  open(): EngineRunFeed {
    this.run?.end();
    const run = new FeedRun(this.settled);
    this.run = run;
    this.opened = true;
    this.markOpened();
    return {
      events: { [Symbol.asyncIterator]: () => run.iterator() },
      onEventSettled: (event, error) => run.settle(event, error),
      close: async () => {
        run.end();
        if (this.run === run) this.run = undefined;
      },
    };
  }

  async deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void> {
    if (!this.opened) await untilAborted(this.firstOpen, context.signal);
    const run = this.run;
    if (!run || run.ended) {
      throw new DeliveryError('The proactive engine is not running; the events wait until it is back.', {
        retryable: true,
        code: 'engine_down',
      });
    }
    const todo = events.filter((event) => !this.settled.has(event));
    const outcomes = await Promise.allSettled(todo.map((event) => run.offer(event, context.signal)));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failures.length === 0) return;
    const first = failures[0]!.reason as DeliveryError;
    throw new DeliveryError(
      `${first.message} (${failures.length} of ${events.length} event(s) of the batch)`,
      { retryable: true, code: first.code },
    );
  }
}

/** One engine run's side of the feed: events offered, read, and settled. */
class FeedRun {
  ended = false;
  /** The engine stopped reading (it is stopping); what it read still settles. */
  private reading = true;
  private readonly waiting: Handed[] = [];
  private readonly handedOut = new Map<LifecycleEvent, Handed>();
  private wake: ((result: IteratorResult<LifecycleEvent>) => void) | undefined;

  constructor(private readonly settled: WeakSet<LifecycleEvent>) {}

  /** Resolves once the engine settled the event; rejects (retryable) when it failed or the run ended first. */
  offer(event: LifecycleEvent, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // The sink is closing: the event goes back to it (kept in a durable outbox for the next start).
        this.forget(event);
        reject(stopped('the sink closed before the engine settled the event', 'engine_feed_closed'));
      };
      const handed: Handed = {
        event,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      if (signal.aborted) return onAbort();
      if (this.ended || !this.reading) {
        return reject(stopped('the proactive engine is stopping', 'engine_down'));
      }
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.wake) {
        const wake = this.wake;
        this.wake = undefined;
        this.handedOut.set(event, handed);
        wake({ value: event, done: false });
      } else {
        this.waiting.push(handed);
      }
    });
  }

  /** The engine's verdict on an event it read. */
  settle(event: LifecycleEvent, error?: unknown): void {
    const handed = this.handedOut.get(event);
    if (!handed) return;
    this.handedOut.delete(event);
    if (error === undefined) {
      this.settled.add(event);
      handed.resolve();
    } else {
      // Only a code: the error's text may carry what an event or a platform answer said.
      const code = (error as { code?: unknown })?.code;
      handed.reject(
        new DeliveryError('The proactive engine could not handle the event; it is offered again.', {
          retryable: true,
          code: typeof code === 'string' ? code : 'engine_event_failed',
        }),
      );
    }
  }

  /** Ends the run: reads end, and every event not settled goes back to the sink to be retried. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const error = stopped('the proactive engine stopped before it settled the event', 'engine_down');
    for (const handed of this.waiting.splice(0)) handed.reject(error);
    for (const handed of this.handedOut.values()) handed.reject(error);
    this.handedOut.clear();
    const wake = this.wake;
    this.wake = undefined;
    wake?.({ value: undefined, done: true });
  }

  iterator(): AsyncIterator<LifecycleEvent> {
    return {
      next: () => {
        const handed = this.waiting.shift();
        if (handed) {
          this.handedOut.set(handed.event, handed);
          return Promise.resolve({ value: handed.event, done: false });
        }
        if (this.ended || !this.reading) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.wake = resolve;
        });
      },
      // The engine stopped reading: the run is over for the feed (what it read still settles through the engine).
      return: () => {
        this.stopReading();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private stopReading(): void {
    this.reading = false;
    const error = stopped('the proactive engine stopped reading', 'engine_down');
    for (const handed of this.waiting.splice(0)) handed.reject(error);
    const wake = this.wake;
    this.wake = undefined;
    wake?.({ value: undefined, done: true });
  }

  private forget(event: LifecycleEvent): void {
    this.handedOut.delete(event);
    const index = this.waiting.findIndex((handed) => handed.event === event);
    if (index >= 0) this.waiting.splice(index, 1);
  }
}

/** Resolves with `promise`, or as soon as `signal` aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void promise.then(done);
  });
}

function stopped(message: string, code: string): DeliveryError {
  return new DeliveryError(`${message[0]!.toUpperCase()}${message.slice(1)}.`, { retryable: true, code });
}

/**
 * The engine's sink: the feed behind an outbox that keeps per-conversation order and retries while it is down. With
 * `outboxDir` the outbox is a file there, so events the engine has not settled survive a crash (the ledger's
 * idempotency keys make a repeat harmless) and checkpoints need not wait for the engine.
 */
export function createEngineSink(feed: EngineFeed, logger: Logger, outboxDir?: string): EventSink {
  return new QueuedSink({
    name: ENGINE_SINK_NAME,
    transport: feed,
    ordering: 'conversation',
    concurrency: ENGINE_SINK_CONCURRENCY,
    retry: ENGINE_SINK_RETRY,
    ...(outboxDir ? { outbox: { dir: outboxDir } } : {}),
    logger,
  });
}
