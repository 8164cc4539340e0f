/**
 * How a sink retries a delivery: exponential backoff with jitter, until the sink closes by default. Not the
 * platform client's retries of a request (`RetryOptions`, src/platform/retry-policy.ts), which are few and fail
 * loudly; a sink keeps an event until it is delivered or refused.
 */

/** A sink's retry settings (`retry:` of a sink in the config file; `maxAttempts`, `retryInitialMs`, … in a spec). */
export interface SinkRetrySettings {
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

export const DEFAULT_SINK_RETRY: SinkRetrySettings = {
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
export function backoffDelay(
  attempt: number,
  settings: SinkRetrySettings,
  random: () => number = Math.random,
) {
  const window = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * settings.multiplier ** Math.max(0, attempt - 1),
  );
  // Keep half of the window as a floor so a retry never fires immediately after a failure.
  return Math.round(window / 2 + random() * (window / 2));
}
