/**
 * Per-token rate limiting in fixed windows, as the platform does it for client-credentials tokens (300 requests
 * per minute by default), or, for a client that must not lean on where windows begin, in a sliding window (any
 * span of the window's length). Every counted response carries `inin-ratelimit-count`, `-allowed` and `-reset`.
 */
import { type EmulatorResponse, platformError } from './router.js';

/** The result of counting one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests counted in the current window, this one included. */
  count: number;
  limit: number;
  /** Whole seconds until the window resets (at least 1). */
  resetSeconds: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * `fixed`: a window starts at the first request after the previous one ended; `sliding`: no more than the limit in
 * any span of the window's length. Refused requests count too, in both.
 */
export type RateLimitMode = 'fixed' | 'sliding';

/** Window counter keyed by token id. */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly arrivals = new Map<string, number[]>();

  constructor(
    private limit: number,
    private readonly windowMs: number = 60_000,
    private readonly now: () => number = Date.now,
    private readonly mode: RateLimitMode = 'fixed',
  ) {}

  /** Counts a request for `key` and says whether it may go through. */
  take(key: string): RateLimitDecision {
    const now = this.now();
    if (this.mode === 'sliding') return this.slide(key, now);
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 10_000) this.prune(now);
    }
    window.count++;
    return {
      allowed: window.count <= this.limit,
      count: window.count,
      limit: this.limit,
      resetSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
    };
  }

  /** Changes the limit; windows in progress keep their counts. */
  setLimit(limit: number): void {
    this.limit = limit;
  }

  getLimit(): number {
    return this.limit;
  }

  /** Headers every counted response carries. */
  static headers(decision: RateLimitDecision): Record<string, string> {
    return {
      'inin-ratelimit-count': String(decision.count),
      'inin-ratelimit-allowed': String(decision.limit),
      'inin-ratelimit-reset': String(decision.resetSeconds),
    };
  }

  private slide(key: string, now: number): RateLimitDecision {
    const recent = (this.arrivals.get(key) ?? []).filter((at) => now - at < this.windowMs);
    recent.push(now);
    this.arrivals.set(key, recent);
    if (this.arrivals.size > 10_000) this.prune(now);
    return {
      allowed: recent.length <= this.limit,
      count: recent.length,
      limit: this.limit,
      resetSeconds: Math.max(1, Math.ceil((recent[0]! + this.windowMs - now) / 1000)),
    };
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(key);
    }
    for (const [key, times] of this.arrivals) {
      if (now - times[times.length - 1]! >= this.windowMs) this.arrivals.delete(key);
    }
  }
}

/** The platform's 429: `Retry-After` header and code `too.many.requests.retry.after`. */
export function rateLimitedResponse(retryAfterSeconds: number): EmulatorResponse {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return platformError(
    429,
    'too.many.requests.retry.after',
    `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`,
    {},
    { 'retry-after': String(seconds) },
  );
}
