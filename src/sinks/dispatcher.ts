/**
 * EventDispatcher: fans each event out to every configured sink. Each sink has its own outbox and delivers on its
 * own, so a slow or failing sink never holds the others back; it shows up in its own health and, once its outbox is
 * past its bound under the `stop` policy, asks the producer to stop taking events until it has room again.
 */
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import type { EventSink, FlushOptions, SinkHealth, WaitOptions } from './types.js';

/** Delivers every event to every sink, independently. */
export class EventDispatcher {
  private readonly logger: Logger;
  /** Writes a sink threw on (closed sink, faulty custom sink), per sink name. */
  private readonly writeErrors = new Map<string, number>();

  constructor(
    readonly sinks: readonly EventSink[],
    options: { logger?: Logger } = {},
  ) {
    this.logger = options.logger ?? silentLogger();
    const names = new Set<string>();
    for (const sink of sinks) {
      if (names.has(sink.name)) {
        throw new ConfigError(`Two sinks are named "${sink.name}".`, {
          hint: 'Give each sink its own name (name=... in the sink spec).',
        });
      }
      names.add(sink.name);
    }
  }

  /**
   * Hands the event to every sink. Returns `false` when at least one sink asks the producer to stop taking events
   * (see {@link whenWritable}); the event was still taken by all of them. Never throws: a sink that throws is
   * logged and counted.
   */
  publish(event: LifecycleEvent): boolean {
    let writable = true;
    for (const sink of this.sinks) {
      try {
        if (!sink.write(event)) writable = false;
      } catch (error) {
        const count = (this.writeErrors.get(sink.name) ?? 0) + 1;
        this.writeErrors.set(sink.name, count);
        this.logger.error(
          { sink: sink.name, eventId: event.id, code: (error as { code?: string }).code, count },
          'sink refused an event',
        );
      }
    }
    return writable;
  }

  /** Resolves `true` once every sink has room, `false` if any wait timed out, was aborted or its sink closed. */
  async whenWritable(options?: WaitOptions): Promise<boolean> {
    const results = await Promise.all(this.sinks.map((sink) => sink.whenWritable(options)));
    return results.every(Boolean);
  }

  /**
   * Flushes every sink; `true` when all delivered (up to `acceptedUpTo`, when given; or with `until: 'durable'`,
   * made it durable in their outbox) within the timeout.
   */
  async flush(options?: FlushOptions): Promise<boolean> {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.flush(options)));
    return results.every((result) => result.status === 'fulfilled' && result.value);
  }

  /** Closes every sink in parallel; one sink failing to close does not keep the others open. */
  async close(options?: { timeoutMs?: number }): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.close(options)));
    results.forEach((result, index) => {
      if (result.status === 'rejected') {
        const error = result.reason as { code?: string; message?: string };
        this.logger.error(
          { sink: this.sinks[index]?.name, code: error?.code, error: error?.message },
          'sink failed to close',
        );
      }
    });
  }

  /** Health of every sink, in configuration order. */
  health(): SinkHealth[] {
    return this.sinks.map((sink) => sink.health());
  }

  /** How many writes each sink threw on. */
  refusedWrites(): Record<string, number> {
    return Object.fromEntries(this.writeErrors);
  }
}
