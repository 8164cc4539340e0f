/** Retry timing for sinks: exponential backoff with full jitter, and HTTP Retry-After parsing. */

export interface RetrySettings {
  /** Delay before the first retry, in ms (before jitter). */
  initialDelayMs: number;
  /** Ceiling of any computed delay, in ms. */
  maxDelayMs: number;
  multiplier: number;
  /** Give up after this many attempts in total; `Infinity` retries until the sink closes. */
  maxAttempts: number;
  /** Longest Retry-After honoured, in ms; longer requests are clamped to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetrySettings = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
  maxRetryAfterMs: 300_000,
};

/**
 * Delay before retry number `attempt` (1 = first retry): full jitter over an exponentially growing window, so that
 * many sinks failing at once do not retry in lockstep.
 */
export function backoffDelay(attempt: number, settings: RetrySettings, random: () => number = Math.random) {
  const window = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * settings.multiplier ** Math.max(0, attempt - 1),
  );
  // Keep half of the window as a floor so a retry never fires immediately after a failure.
  return Math.round(window / 2 + random() * (window / 2));
}

/** Parses an HTTP Retry-After value (delta seconds or HTTP date) into ms from `now`; undefined if unusable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
