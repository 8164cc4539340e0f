/**
 * A clock for tests (the `Timers` port of src/timers.ts) that moves only when told to: the emulated world's
 * {@link ManualClock}, starting at the real time, with `stall` beside its `advance`. `advance` runs every timer at its
 * due time, as a healthy event loop would; `stall` moves time first and runs the timers afterwards, late, as an event
 * loop that was blocked would.
 */
import { ManualClock } from '../../src/emulator/world/clock.js';
import type { Timers } from '../../src/timers.js';

export class TestClock extends ManualClock implements Timers {
  /** Starts at the real time by default, so timestamps it stamps read sensibly beside real ones. */
  constructor(start = Date.now()) {
    super(start);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.pendingTimers;
  }

  /** Jumps `ms` ahead at once, then runs the timers that fell due meanwhile — all of them late, at the new time. */
  stall(ms: number): void {
    this.current += ms;
    const due = [...this.timers.values()]
      .filter((timer) => timer.due <= this.current)
      .sort((a, b) => a.due - b.due || a.seq - b.seq);
    for (const timer of due) {
      if (!this.timers.delete(timer.seq)) continue; // cleared by an earlier one
      timer.fn();
    }
  }
}
