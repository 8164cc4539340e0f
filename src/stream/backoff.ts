/** Exponential backoff with full jitter: each delay is uniform in [0, min(cap, initial × factor^attempt)]. */

export interface BackoffOptions {
  /** Upper bound of the first delay (default 500 ms). */
  initialMs?: number;
  /** Upper bound of every delay (default 30 s). */
  maxMs?: number;
  /** Growth of the upper bound per attempt (default 2). */
  factor?: number;
  /** Source of randomness in [0, 1); injectable so the bounds can be checked exactly. */
  random?: () => number;
}

/** The delays between reconnect attempts of one channel. */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.random = options.random ?? Math.random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling the next delay is drawn under. */
  ceiling(): number {
    // Past ~60 doublings the power overflows to Infinity; min() still yields the cap.
    return Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
  }

  /** Draws the next delay and counts the attempt. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempt++;
    return delay;
  }

  /** Starts over after a connection proved stable. */
  reset(): void {
    this.attempt = 0;
  }
}
