/**
 * Waiting for a condition: poll it until it holds, bounded in time. Wait for the state you need, never for a fixed
 * time standing in for it; a condition that never comes fails with what was awaited.
 *
 *   await waitFor(() => sink.events.length === 3, 'three deliveries');
 *   await waitFor(() => pool.connected, 'the pool to connect', 10_000);            // the timeout alone
 *   await waitForAsync(async () => (await health()).ready, 'readiness', { timeoutMs: 30_000, intervalMs: 50 });
 */

/** How long {@link waitFor} and {@link waitForAsync} keep trying, and how often. */
export interface WaitForOptions {
  /** How long to keep trying before failing (default 5 s). */
  timeoutMs?: number;
  /** How long to wait between tries (default 10 ms); longer for a condition that costs (an HTTP call, a query). */
  intervalMs?: number;
}

/** The options, or the timeout alone in ms. */
export type WaitLimit = WaitForOptions | number;

/** The timeout of a wait given none, in ms. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5000;
/** The pause between tries of a wait given none, in ms. */
export const DEFAULT_WAIT_INTERVAL_MS = 10;

/** The error a wait rejects with: it names what was awaited and for how long. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Resolves with the condition's first truthy value; rejects with a {@link WaitTimeoutError} naming `what` once
 * `timeoutMs` has passed. The condition is tried once more at the deadline, so a slow event loop (a loaded machine)
 * that wakes late still sees a condition that came true meanwhile. A condition that throws fails the wait at once.
 */
export async function waitFor<T>(
  condition: () => T,
  what: string,
  options: WaitLimit = {},
): Promise<NonNullable<T>> {
  return waitForAsync(condition, what, options);
}

/**
 * Like {@link waitFor}, for a condition that has to ask something asynchronously (an HTTP endpoint, a store).
 * Tries are sequential: the next starts `intervalMs` after the previous settled. A try still pending at the
 * deadline is awaited — the wait cannot end while a try is outstanding — so callers should give each try its own
 * bound if it may hang.
 */
export async function waitForAsync<T>(
  condition: () => T | Promise<T>,
  what: string,
  options: WaitLimit = {},
): Promise<NonNullable<Awaited<T>>> {
  const { timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = DEFAULT_WAIT_INTERVAL_MS } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<Awaited<T>>;
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(what, timeoutMs);
    await pause(Math.min(intervalMs, left));
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
