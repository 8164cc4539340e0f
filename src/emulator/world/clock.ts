/**
 * Time for the emulated world. Production uses the system clock; tests drive a {@link ManualClock} so that a whole
 * day of traffic runs in milliseconds and identically every time.
 */

/** The time source and timer facility the world runs on. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall-clock time; timers are unref'd so that a world alone never keeps a process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to; due timers run in due-time order as it advances. */
export class ManualClock implements Clock {
  /** The time now (epoch ms); a subclass may move it in other ways than `advance` (e.g. a stall). */
  protected current: number;
  private seq = 0;
  /** Timers waiting to run, by their sequence number (their handle). */
  protected readonly timers = new Map<number, ManualTimer>();

  constructor(start = Date.UTC(2025, 0, 15, 12, 0, 0)) {
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

  /** Number of timers waiting to run. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (including ones they schedule). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.timers.values()) {
        if (
          timer.due <= target &&
          (!next || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq))
        )
          next = timer;
      }
      if (!next) break;
      this.timers.delete(next.seq);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }
}
