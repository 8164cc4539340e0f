/**
 * The delays between reconnect attempts of one channel: exponential backoff with full jitter (the platform
 * layer's formula), counting attempts until a connection proves stable.
 */
import { backoffDelayMs } from '../platform/retry-policy.js';

export interface BackoffOptions {
  /** Upper bound of the first delay (default 500 ms); it doubles per attempt. */
  initialMs?: number;
  /** Upper bound of every delay (default 30 s). */
  maxMs?: number;
  /** Source of randomness in [0, 1); injectable so the bounds can be checked exactly. */
  random?: () => number;
}

/** Attempts since the last stable connection, and the delay before the next one. */
export class Backoff {
  private readonly bounds: { baseDelayMs: number; maxDelayMs: number };
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.bounds = { baseDelayMs: options.initialMs ?? 500, maxDelayMs: options.maxMs ?? 30_000 };
    this.random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Draws the next delay, uniform in [0, min(max, initial × 2^attempt)), and counts the attempt. */
  next(): number {
    this.attempt++;
    return backoffDelayMs(this.attempt, this.bounds, this.random);
  }

  /** Starts over after a connection proved stable. */
  reset(): void {
    this.attempt = 0;
  }
}
