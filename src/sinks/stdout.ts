/**
 * The stdout sink: one JSON event per line (newline-delimited JSON) on a writable stream, stdout by default.
 * It respects the stream's backpressure: when `write` returns false it waits for 'drain' before the next batch,
 * so a slow reader (a pipe into `jq`, a log shipper) slows delivery down and the queue absorbs the difference.
 *
 *   stdout
 *   stdout?capacity=1000
 */
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import { DeliveryError } from './errors.js';
import {
  COMMON_SINK_SETTINGS,
  type CommonSinkConfig,
  checkSpecOptions,
  readCommonOptions,
  type SinkKind,
  splitSpec,
} from './kind.js';
import { QueuedSink, type QueuedSinkOptions } from './queued-sink.js';
import type { DeliveryContext, SinkTransport } from './types.js';

/** Renders events as newline-delimited JSON: one line per event, each ending in `\n`. */
export function toJsonLines(events: readonly LifecycleEvent[]): string {
  let out = '';
  for (const event of events) out += `${JSON.stringify(event)}\n`;
  return out;
}

/** Writes batches of JSON lines to a stream, waiting for 'drain' whenever the stream asks. */
export class StreamTransport implements SinkTransport {
  readonly kind = 'stdout';
  private failure: Error | undefined;
  private readonly onError = (error: Error) => {
    this.failure ??= error;
  };

  constructor(
    private readonly stream: Writable,
    readonly target = 'stdout',
  ) {
    // Without a listener a broken pipe would crash the process; record it and fail deliveries instead.
    stream.on('error', this.onError);
  }

  async deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void> {
    this.assertUsable();
    const accepted = this.stream.write(toJsonLines(events), (error) => {
      if (error) this.failure ??= error;
    });
    if (!accepted) await this.waitForDrain(context.signal);
    this.assertUsable();
  }

  async flush(): Promise<void> {
    if (this.stream.writableNeedDrain) await this.waitForDrain();
  }

  async close(): Promise<void> {
    this.stream.off('error', this.onError);
  }

  private assertUsable(): void {
    if (this.failure) {
      const code = (this.failure as { code?: string }).code ?? 'stream_error';
      throw new DeliveryError(`${this.target} failed: ${code}`, { retryable: false, code: 'stream_error' });
    }
    if (this.stream.destroyed || this.stream.writableEnded) {
      throw new DeliveryError(`${this.target} is closed`, { retryable: false, code: 'stream_closed' });
    }
  }

  private waitForDrain(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: unknown) => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
        this.stream.off('error', onClose);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () =>
        done(new DeliveryError(`${this.target} closed`, { retryable: false, code: 'stream_closed' }));
      const onAbort = () => done(signal?.reason ?? new Error('aborted'));
      this.stream.once('drain', onDrain);
      this.stream.once('close', onClose);
      this.stream.once('error', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Options of {@link createStdoutSink}. */
export type StdoutSinkOptions = Omit<QueuedSinkOptions, 'transport' | 'name'> & {
  name?: string;
  /** Where lines go; `process.stdout` by default. */
  stream?: Writable;
};

/** A sink writing newline-delimited JSON events to stdout (or the given stream), in order. */
export function createStdoutSink(options: StdoutSinkOptions = {}): QueuedSink {
  const { stream = process.stdout, name = 'stdout', ...rest } = options;
  return new QueuedSink({
    ...rest,
    name,
    ordering: 'global',
    transport: new StreamTransport(stream),
  });
}

/** The stdout sink described as data. */
export interface StdoutSinkConfig extends CommonSinkConfig {
  kind: 'stdout';
}

/** The `stdout` kind: `stdout`, with the common options only. */
export const stdoutSink: SinkKind<StdoutSinkConfig> = {
  kind: 'stdout',
  usage: 'stdout',
  options: [],

  parseSpec(body) {
    const { target, params } = splitSpec(body);
    const shown = `stdout:${target}`;
    checkSpecOptions(params, stdoutSink, shown);
    if (target !== '') {
      throw new ConfigError(`The stdout sink takes no target, got "${target}".`, {
        hint: 'Write just "stdout".',
      });
    }
    return { kind: 'stdout', ...readCommonOptions(params, shown) };
  },

  schema: z.strictObject({ kind: z.literal('stdout'), ...COMMON_SINK_SETTINGS }),

  defaultName: () => 'stdout',

  create(_config, basics, options) {
    return createStdoutSink({ ...basics, ...(options.stdout ? { stream: options.stdout } : {}) });
  },
};
