/**
 * One timeline for everything the world does later: events run strictly in (due time, insertion) order on a single
 * timer, so the sequence is the same whatever the timer jitter, and no event runs before its time.
 */
import type { Clock } from './clock.js';

interface Entry {
  due: number;
  seq: number;
  run: (due: number) => void;
}

/** A min-heap of timed events driven by one clock timer. */
export class Scheduler {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;
  private stopped = false;
  private running = false;

  /** `onError` receives what an event threw; the timeline carries on with the next event. */
  constructor(
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs `run(due)` at `due` (epoch ms); `due` in the past runs at the next turn. */
  schedule(due: number, run: (due: number) => void): void {
    this.push({ due, seq: this.seq++, run });
    if (!this.running) this.arm();
  }

  /** Events waiting to run. */
  get size(): number {
    return this.heap.length;
  }

  /** Drops every pending event and the timer. */
  stop(): void {
    this.stopped = true;
    this.heap.length = 0;
    this.disarm();
  }

  /** Accepts events again after {@link stop}. */
  resume(): void {
    this.stopped = false;
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap[0];
    if (!next) {
      this.disarm();
      return;
    }
    if (next.due >= this.timerDue && this.timer !== undefined) return;
    this.disarm();
    this.timerDue = next.due;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, next.due - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    this.running = true;
    try {
      // Timers can fire a little early; events never run before their due time. Only what is due now runs in this
      // turn: when the world cannot keep up, it falls behind instead of starving the process.
      const now = this.clock.now();
      while (!this.stopped && this.heap.length > 0 && this.heap[0]!.due <= now) {
        const entry = this.pop()!;
        try {
          entry.run(entry.due);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && before(heap[l]!, heap[smallest]!)) smallest = l;
        if (r < heap.length && before(heap[r]!, heap[smallest]!)) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}
