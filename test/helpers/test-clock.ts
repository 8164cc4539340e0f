/**
 * A clock for tests (the `Timers` port of src/timers.ts) that moves only when told to. `advance` runs every timer
 * at its due time, as a healthy event loop would; `stall` moves time first and runs the timers afterwards, late, as
 * an event loop that was blocked would.
 */
import type { Timers } from '../../src/timers.js';

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
}

export class TestClock implements Timers {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, PendingTimer>();

  /** Starts at the real time by default, so timestamps it stamps read sensibly beside real ones. */
  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.seq;
    this.timers.set(seq, { due: this.current + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running each timer that falls due at its due time (and ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
      this.timers.delete(next.seq);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
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

  private nextDue(limit: number): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.due > limit) continue;
      if (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq)) next = timer;
    }
    return next;
  }
}
