/**
 * How every retry loop of Switchboard waits between attempts, and the settings it is given: the platform client's
 * requests and token fetches, a channel's reconnects, a sink's deliveries and the proactive engine's restarts.
 * One formula and one spelling of its settings (`initialDelayMs`, `maxDelayMs`, `multiplier`, `maxAttempts`,
 * `maxRetryAfterMs`), so a setting means the same wherever it is written.
 *
 * What differs between the loops is policy, not arithmetic, and stays with each: which failures are retried and
 * when to give up (the platform client after a few attempts, failing loudly; a sink only when the sink closes).
 */

/** An exponential backoff with jitter. */
export interface BackoffSettings {
  /** The first window, in ms: the longest wait before the first retry. */
  initialDelayMs: number;
  /** The longest window, in ms, however many attempts have failed. */
  maxDelayMs: number;
  /** How much the window grows per attempt (default 2). */
  multiplier?: number;
  /**
   * Where in the window a wait falls: `full` (default), anywhere in it, so many clients failing at once spread over
   * the whole window; `equal`, in its upper half, so a retry never follows a failure at once; `none`, at its end,
   * for a schedule that is one process's own (a redelivery delay, a retry of one decision, a re-read of analytics).
   */
  jitter?: 'full' | 'equal' | 'none';
}

/** A backoff, how many attempts it allows, and how long a server may ask it to wait. */
export interface RetrySettings extends BackoffSettings {
  /** Attempts in all, the first included; `Infinity` retries until the owner stops. */
  maxAttempts: number;
  /** The longest `Retry-After` honoured, in ms (what happens to a longer one is the owner's policy). */
  maxRetryAfterMs: number;
}

/**
 * The wait before retry number `attempt` (1 = the first retry): the window is `initialDelayMs × multiplier^(attempt
 * − 1)`, capped at `maxDelayMs`, and the wait is drawn in it as `jitter` says.
 */
export function backoffDelay(
  attempt: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const window = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * (settings.multiplier ?? 2) ** Math.max(0, attempt - 1),
  );
  if (settings.jitter === 'none') return window;
  if (settings.jitter === 'equal') return Math.round(window / 2 + random() * (window / 2));
  return Math.floor(random() * window);
}

/** Attempts since the last success, and the wait before the next one (a channel's reconnects). */
export class Backoff {
  private readonly settings: BackoffSettings;
  private readonly random: () => number;
  private attempt = 0;

  constructor(settings: BackoffSettings, random: () => number = Math.random) {
    this.settings = settings;
    this.random = random;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Draws the next wait and counts the attempt. */
  next(): number {
    this.attempt++;
    return backoffDelay(this.attempt, this.settings, this.random);
  }

  /** Starts over after a success (a connection that proved stable). */
  reset(): void {
    this.attempt = 0;
  }
}
