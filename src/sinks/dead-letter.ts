/**
 * The dead-letter file of a sink: events its destination refused for good (a 4xx, an event too large), whole, so an
 * operator can fix the cause and send them again; and the ids of events its overflow policy dropped, so they can be
 * found again. One JSON line each:
 *
 *   {"at":"…","sink":"hook","reason":"refused","code":"HTTP_422","status":422,"event":{…}}
 *   {"at":"…","sink":"hook","reason":"dropped","event":{"id":"…","type":"…","conversationId":"…","occurredAt":"…"}}
 *
 * The file is the operator's: Switchboard appends to it and never reads, rotates or deletes it. It holds customer
 * data exactly as the sink would have; keep it where the sink's destination data may be kept.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LifecycleEvent } from '../events.js';

/** Why an event went to the dead-letter file. */
export type DeadLetterReason = 'refused' | 'out-of-attempts' | 'dropped';

export interface DeadLetterDetails {
  reason: DeadLetterReason;
  code?: string;
  status?: number;
}

/** Appends to one sink's dead-letter file; without a path it only counts (memory-only sinks). */
export class DeadLetters {
  count = 0;
  /** Lines that could not be written (disk full, permissions): the events are then only in the log. */
  writeErrors = 0;
  private dirReady = false;

  constructor(
    private readonly sink: string,
    readonly path: string | undefined,
  ) {}

  add(events: readonly LifecycleEvent[], details: DeadLetterDetails): void {
    this.count += events.length;
    if (!this.path || events.length === 0) return;
    const at = new Date().toISOString();
    const lines = events
      .map((event) =>
        JSON.stringify({
          at,
          sink: this.sink,
          ...details,
          event: details.reason === 'dropped' ? idsOf(event) : event,
        }),
      )
      .join('\n');
    try {
      if (!this.dirReady) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.dirReady = true;
      }
      appendFileSync(this.path, `${lines}\n`);
    } catch {
      this.writeErrors += 1;
    }
  }
}

function idsOf(event: LifecycleEvent) {
  return {
    id: event.id,
    type: event.type,
    conversationId: event.conversationId,
    occurredAt: event.occurredAt,
  };
}
