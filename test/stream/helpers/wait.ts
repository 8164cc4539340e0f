/** Waiting helpers for tests: poll a condition, bounded in time. */
import type { StreamStatus, StreamStatusInput } from '../../../src/stream/status.js';
import { DEFAULT_WAIT_TIMEOUT_MS, waitFor as sharedWaitFor } from '../../helpers/wait-for.js';

/** Resolves once `condition()` is truthy; rejects after `timeoutMs` with `what` in the message. */
export function waitFor<T>(
  condition: () => T,
  what: string,
  timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
): Promise<NonNullable<T>> {
  return sharedWaitFor(condition, what, { timeoutMs, intervalMs: 5 });
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects status events with the time each arrived. */
export class StatusLog {
  readonly events: Array<(StreamStatusInput | StreamStatus) & { seenAt: number }> = [];

  readonly push = (event: StreamStatusInput | StreamStatus): void => {
    this.events.push({ ...event, seenAt: Date.now() });
  };

  of<T extends StreamStatus['type']>(
    type: T,
  ): Array<Extract<StreamStatusInput, { type: T }> & { seenAt: number }> {
    return this.events.filter((e) => e.type === type) as never;
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}
