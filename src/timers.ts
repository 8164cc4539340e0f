/**
 * The clock port: what time it is and how to wait. Components that schedule work take one, so tests can run them on
 * a manual clock (the emulator's `ManualClock` implements it) instead of waiting for real time.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The system clock. Its timers hold the process open: a component with work scheduled (a lookup, a gap to recover)
 * is busy, and whoever awaits it must not see the process exit under it. Components clear them when they stop.
 */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
