/** The interval during which one channel's topics are not covered, from the moment coverage is lost to its return. */
import type { Gap, GapReason } from './status.js';

interface OpenGap {
  start: number;
  reason: GapReason;
  topics: string[];
  channelId: string | undefined;
}

/** Tracks at most one open gap; a second loss while one is open only moves its start earlier. */
export class GapTracker {
  private open: OpenGap | undefined;

  /** Whether coverage is currently known to be lost. */
  get isOpen(): boolean {
    return this.open !== undefined;
  }

  /** Records that coverage of `topics` was lost at `start` (epoch ms). */
  begin(start: number, reason: GapReason, topics: readonly string[], channelId: string | undefined): void {
    if (this.open) {
      this.open.start = Math.min(this.open.start, start);
      return;
    }
    this.open = { start, reason, topics: [...topics], channelId };
  }

  /** Renames the cause of the open gap, when what happened next explains it better. */
  relabel(reason: GapReason): void {
    if (this.open) this.open.reason = reason;
  }

  /** Coverage is back: returns the closed gap, or undefined when none was open. */
  end(slot: number, at = Date.now()): Gap | undefined {
    const open = this.open;
    if (!open) return undefined;
    this.open = undefined;
    return {
      start: new Date(open.start).toISOString(),
      end: new Date(at).toISOString(),
      topics: open.topics,
      reason: open.reason,
      slot,
      ...(open.channelId ? { channelId: open.channelId } : {}),
    };
  }
}
