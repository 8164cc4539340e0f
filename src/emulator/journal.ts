/**
 * The emulator's request journal: the last OAuth and REST requests it received (not the admin routes under
 * `/__emulator/`, nor WebSocket upgrades), as they arrived and as they were answered — what a test reads to say
 * what a client sent, how often and when. Programmatic only (`emulator.requests`): it holds credentials as sent.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One request as the emulator received and answered it. */
export interface JournalEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Headers as sent (names in lower case), Authorization included. */
  headers: IncomingHttpHeaders;
  /** The body as text; empty when there was none. */
  text: string;
  /** Status answered; for a cut request, the status it would have had. */
  status: number;
  /** The reply was lost to a `cut-requests` fault. */
  cut: boolean;
  /** `performance.now()` when the request arrived. */
  at: number;
  correlationId: string;
}

/** A bounded journal: the oldest entries give way once `capacity` is reached. */
export class RequestJournal {
  private readonly entries: JournalEntry[] = [];

  constructor(private readonly capacity = 10_000) {}

  record(entry: JournalEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Entries in arrival order, optionally only those of one method and a path (exact, or matching a pattern). */
  list(method?: string, path?: string | RegExp): JournalEntry[] {
    const wanted = method?.toUpperCase();
    return this.entries.filter(
      (entry) =>
        (wanted === undefined || entry.method === wanted) &&
        (path === undefined || (typeof path === 'string' ? entry.path === path : path.test(entry.path))),
    );
  }

  clear(): void {
    this.entries.length = 0;
  }
}
