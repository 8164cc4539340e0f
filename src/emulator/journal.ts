/**
 * The emulator's request journal: the last OAuth and REST requests it received (not the admin routes under
 * `/__emulator/`), as they arrived and as they were answered — what a test reads to say what a client sent, how
 * often and when. WebSocket upgrades are kept apart ({@link RequestJournal.upgrades}): which channel a client opened a
 * socket on, with which headers, and whether one opened. Programmatic only (`emulator.requests`): it holds
 * credentials as sent.
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

/** One WebSocket upgrade request (a socket asked for on `connectUri`) and how it was answered. */
export interface UpgradeEntry {
  /** Path without the query string, e.g. `/channels/<id>`. */
  path: string;
  query: URLSearchParams;
  /** Headers as sent (names in lower case). */
  headers: IncomingHttpHeaders;
  /** 101 when the handshake went ahead on a live channel, else the status it was refused with (404: unknown or ended). */
  status: number;
  /** `performance.now()` when the request arrived. */
  at: number;
}

/** A bounded journal: the oldest entries give way once `capacity` is reached. */
export class RequestJournal {
  private readonly entries: JournalEntry[] = [];
  private readonly upgradeEntries: UpgradeEntry[] = [];

  constructor(private readonly capacity = 10_000) {}

  record(entry: JournalEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  recordUpgrade(entry: UpgradeEntry): void {
    this.upgradeEntries.push(entry);
    if (this.upgradeEntries.length > this.capacity)
      this.upgradeEntries.splice(0, this.upgradeEntries.length - this.capacity);
  }

  /** WebSocket upgrades in arrival order, optionally only those of a path (exact, or matching a pattern). */
  upgrades(path?: string | RegExp): UpgradeEntry[] {
    return this.upgradeEntries.filter(
      (entry) =>
        path === undefined || (typeof path === 'string' ? entry.path === path : path.test(entry.path)),
    );
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

  /** Forgets every request and upgrade. */
  clear(): void {
    this.entries.length = 0;
    this.upgradeEntries.length = 0;
  }
}
