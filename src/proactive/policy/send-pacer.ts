/**
 * The global ceiling on proactive sends per minute. Agentless messaging limits are not documented, so this is a
 * setting with a conservative default; it spaces sends evenly instead of letting them burst.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Spaces calls at least `60 s / sendsPerMinute` apart (no spacing for an infinite rate). */
export class SendPacer {
  private readonly intervalMs: number;
  private next = 0;

  constructor(sendsPerMinute: number) {
    this.intervalMs = Number.isFinite(sendsPerMinute) && sendsPerMinute > 0 ? 60_000 / sendsPerMinute : 0;
  }

  /** Waits for the next send slot. */
  async take(signal?: AbortSignal): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await delay(at - now, undefined, signal ? { signal } : undefined);
  }
}
