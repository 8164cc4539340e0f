/** The stream tests' status log: every status event with the time it arrived. */
import type { StreamStatus, StreamStatusInput } from '../../../src/stream/status.js';

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
