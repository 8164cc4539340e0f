/**
 * Lifecycle events per minute, for the dashboard's chart and counters: events are counted into short buckets of
 * wall-clock time, and each point of the series is the number in the minute that ends with its bucket, so the
 * line is a true "per minute" figure that still moves every few seconds.
 */
import type { LifecycleEventType } from '../events.js';

/** The four series the dashboard draws. */
export const CHARTED = ['started', 'transferred', 'wrapup', 'ended'] as const;
export type ChartedSeries = (typeof CHARTED)[number];

const SERIES_OF: Partial<Record<LifecycleEventType, ChartedSeries>> = {
  'conversation.started': 'started',
  'conversation.transferred': 'transferred',
  'conversation.wrapup': 'wrapup',
  'conversation.ended': 'ended',
};

export type Counts = Record<ChartedSeries, number>;

/** One point: the minute ending at `t` (epoch ms, the end of its bucket). */
export interface RatePoint extends Counts {
  t: number;
}

export interface RateView {
  bucketMs: number;
  /** Oldest first; the last point is the minute up to now. */
  points: RatePoint[];
  /** The last minute. */
  lastMinute: Counts;
}

const zero = (): Counts => ({ started: 0, transferred: 0, wrapup: 0, ended: 0 });

/** Bucketed counts of the charted event types. */
export class RateSeries {
  private readonly buckets = new Map<number, Counts>();
  private readonly perMinute: number;

  /**
   * @param bucketMs width of one bucket (default 10 s; must divide a minute)
   * @param windowMs how far back the series goes (default 15 min)
   */
  constructor(
    readonly bucketMs = 10_000,
    readonly windowMs = 15 * 60_000,
  ) {
    if (60_000 % bucketMs !== 0) throw new RangeError('bucketMs must divide one minute');
    this.perMinute = 60_000 / bucketMs;
  }

  /** Counts one event at `at` (epoch ms); types outside the chart are ignored. */
  record(type: LifecycleEventType, at = Date.now()): void {
    const series = SERIES_OF[type];
    if (!series) return;
    const start = at - (at % this.bucketMs);
    let counts = this.buckets.get(start);
    if (!counts) {
      counts = zero();
      this.buckets.set(start, counts);
      this.trim(at);
    }
    counts[series]++;
  }

  view(now = Date.now()): RateView {
    this.trim(now);
    const current = now - (now % this.bucketMs);
    const count = this.windowMs / this.bucketMs;
    const points: RatePoint[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const end = current - i * this.bucketMs;
      const minute = zero();
      for (let j = 0; j < this.perMinute; j++) {
        const bucket = this.buckets.get(end - j * this.bucketMs);
        if (!bucket) continue;
        for (const key of CHARTED) minute[key] += bucket[key];
      }
      points.push({ t: end + this.bucketMs, ...minute });
    }
    const last = points[points.length - 1]!;
    return {
      bucketMs: this.bucketMs,
      points,
      lastMinute: {
        started: last.started,
        transferred: last.transferred,
        wrapup: last.wrapup,
        ended: last.ended,
      },
    };
  }

  private trim(now: number): void {
    const oldest = now - this.windowMs - 60_000;
    for (const start of this.buckets.keys()) if (start < oldest) this.buckets.delete(start);
  }
}
