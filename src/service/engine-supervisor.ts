/**
 * Keeps the proactive engine running. A run that fails (or returns while the service is not stopping) is logged,
 * the engine is marked down — since when, the last error's code and message, never a payload — and it is started
 * again after a pause with jitter that doubles from `initialDelayMs` up to `maxDelayMs`, back to the first once a run has
 * stayed up for `healthyMs`. Each run reads a fresh feed (`openFeed`): the sink's in one process, a new durable
 * consumer with a bus, so nothing a dead run held is lost. The service is not ready while the engine is down.
 */
import { type BackoffSettings, backoffDelay } from '../backoff.js';
import { isSwitchboardError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { EngineHealth } from '../server/readiness.js';
import type { EngineRunFeed } from './engine-feed.js';
import type { ProactiveRuntime } from './proactive-runtime.js';

/** Pauses between restarts. */
export interface EngineBackoff extends BackoffSettings {
  /** A run up at least this long counts as healthy: the next failure starts from `initialDelayMs` again. */
  healthyMs: number;
}

/** 1 s doubling to 60 s, never at once after a failure (jitter in the upper half of the window). */
export const DEFAULT_ENGINE_BACKOFF: EngineBackoff = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  jitter: 'equal',
  healthyMs: 60_000,
};

export interface EngineSupervisorOptions {
  runtime: ProactiveRuntime;
  /** The events of one run (called before every start). */
  openFeed: () => EngineRunFeed;
  backoff?: Partial<EngineBackoff>;
  logger: Logger;
  random?: () => number;
}

/** Longest error message kept: messages of errors from outside Switchboard are not vetted. */
const MAX_MESSAGE = 200;

/** Runs the engine and restarts it when it dies. */
export class EngineSupervisor {
  private readonly backoff: EngineBackoff;
  private readonly logger: Logger;
  private readonly random: () => number;
  private state: EngineHealth['state'] = 'stopped';
  private since = Date.now();
  private restarts = 0;
  private lastError: EngineHealth['lastError'] = null;
  private nextStartAt: number | undefined;
  private stopping = false;
  private run: AbortController | undefined;
  private readonly pause = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EngineSupervisorOptions) {
    this.backoff = { ...DEFAULT_ENGINE_BACKOFF, ...options.backoff };
    this.logger = options.logger.child({ component: 'engine-supervisor' });
    this.random = options.random ?? Math.random;
  }

  /** Starts the engine (once); `done` resolves when it has stopped for good. */
  start(): Promise<void> {
    this.loop ??= this.supervise();
    return this.loop;
  }

  /** From now on a run that ends is the service stopping, not a failure: nothing is restarted. */
  markStopping(): void {
    this.stopping = true;
    this.pause.abort();
  }

  /** Stops the engine: no new work, the decisions in flight recorded; resolves once it has stopped. */
  async stop(): Promise<void> {
    this.markStopping();
    this.run?.abort();
    await this.loop;
  }

  health(): EngineHealth {
    return {
      state: this.state,
      since: new Date(this.since).toISOString(),
      restarts: this.restarts,
      lastError: this.lastError,
      ...(this.state === 'down' && this.nextStartAt !== undefined
        ? { nextStartAt: new Date(this.nextStartAt).toISOString() }
        : {}),
    };
  }

  private enter(state: EngineHealth['state']): void {
    this.state = state;
    this.since = Date.now();
  }

  private async supervise(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      this.enter('starting');
      let runningSince: number | undefined;
      let failure: unknown;
      let feed: EngineRunFeed | undefined;
      const run = new AbortController();
      this.run = run;
      try {
        feed = this.options.openFeed();
        const opened = feed;
        // The engine is back once it reads: before that it settles what an earlier run left in doubt.
        const events = {
          [Symbol.asyncIterator]: () => {
            runningSince = Date.now();
            if (!this.stopping) this.enter('running');
            return opened.events[Symbol.asyncIterator]();
          },
        };
        await this.options.runtime.run(events, run.signal, { onEventSettled: opened.onEventSettled });
        if (!this.stopping) failure = new Error('the engine stopped on its own while the service runs');
      } catch (error) {
        failure = error;
      } finally {
        await feed?.close().catch((error: unknown) => {
          this.logger.warn({ err: (error as Error).message }, 'the engine feed did not close cleanly');
        });
      }
      if (this.stopping) break;

      if (runningSince !== undefined && Date.now() - runningSince >= this.backoff.healthyMs) failures = 0;
      failures += 1;
      const delayMs = this.delay(failures);
      this.lastError = describe(failure);
      this.nextStartAt = Date.now() + delayMs;
      this.enter('down');
      this.logger.error(
        {
          code: this.lastError.code,
          err: this.lastError.message,
          restartInMs: delayMs,
          restarts: this.restarts,
        },
        'the proactive engine stopped; it is started again after a pause',
      );
      await sleep(delayMs, this.pause.signal);
      if (this.stopping) break;
      this.restarts += 1;
      this.logger.warn({ restarts: this.restarts }, 'starting the proactive engine again');
    }
    this.nextStartAt = undefined;
    this.enter('stopped');
  }

  /** The pause after `failures` failures in a row. */
  private delay(failures: number): number {
    return backoffDelay(failures, this.backoff, this.random);
  }
}

/** An error's code and message, short and without anything it may have carried. */
function describe(error: unknown): NonNullable<EngineHealth['lastError']> {
  const at = new Date().toISOString();
  if (isSwitchboardError(error))
    return { code: error.code, message: error.message.slice(0, MAX_MESSAGE), at };
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown',
    message: message.slice(0, MAX_MESSAGE),
    at,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
