/**
 * The stream's use of the clock port (`src/timers.ts`): everything that waits in the stream — watchdog, reconnect
 * backoff, rotation, re-discovery — waits through a {@link Timers}, so a test can run it on a manual clock.
 */
import { realTimers, type Timers } from '../timers.js';

export { realTimers, type Timers };

/**
 * A timer that does not hold the process open, for work that only matters while something else runs (a
 * watchdog, a periodic re-discovery). Manual clocks' handles have no `unref`; nothing to do for them.
 */
export function backgroundTimeout(timers: Timers, fn: () => void, ms: number): unknown {
  const handle = timers.setTimeout(fn, ms);
  (handle as { unref?: () => void } | undefined)?.unref?.();
  return handle;
}

/** Resolves after `ms` on the given clock, or at once when `signal` aborts (never rejects). */
export function pause(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      timers.clearTimeout(handle);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const handle = timers.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
