/**
 * An in-memory {@link CoordinationKv} for tests that need no NATS: create-if-absent, revision-checked updates and
 * deletes, keys by prefix, and a bucket-wide TTL (entries vanish `ttlMs` after their last write, 0 = never) judged
 * on an injectable clock, so a test can let leases expire without waiting for them.
 */
import type { CoordinationKv, KvRecord } from '../../src/cluster/coordination-kv.js';
import type { Timers } from '../../src/timers.js';

interface Entry {
  json: string;
  revision: number;
  writtenAt: number;
}

export interface MemoryKvOptions {
  /** Time after the last write at which an entry vanishes; 0 keeps entries forever. */
  ttlMs: number;
  /** The clock entries age on (default `Date.now`). */
  now?: () => number;
}

export class MemoryKv implements CoordinationKv {
  readonly ttlMs: number;
  /** While true every operation throws, as a store that cannot be reached does. */
  unreachable = false;
  /** Every write that changed the bucket, in order (`create`, `update`, `put`, `delete`). */
  readonly writes: Array<{ op: string; key: string; revision?: number }> = [];
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  /** A sequence of the whole bucket, increasing with every write, as a NATS stream's is. */
  private sequence = 0;

  constructor(options: MemoryKvOptions) {
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  async get<T>(key: string): Promise<KvRecord<T> | undefined> {
    this.reachable();
    const entry = this.live(key);
    return entry ? { value: JSON.parse(entry.json) as T, revision: entry.revision } : undefined;
  }

  async create<T>(key: string, value: T): Promise<number | undefined> {
    this.reachable();
    if (this.live(key)) return undefined;
    return this.write('create', key, value);
  }

  async update<T>(key: string, value: T, revision: number): Promise<number | undefined> {
    this.reachable();
    if (this.live(key)?.revision !== revision) return undefined;
    return this.write('update', key, value);
  }

  async put<T>(key: string, value: T): Promise<number> {
    this.reachable();
    return this.write('put', key, value);
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    this.reachable();
    const entry = this.live(key);
    if (revision !== undefined && entry?.revision !== revision) return false;
    this.entries.delete(key);
    this.sequence++;
    this.writes.push({ op: 'delete', key, ...(revision === undefined ? {} : { revision }) });
    return true;
  }

  async keys(prefix: string): Promise<string[]> {
    this.reachable();
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix) && this.live(key));
  }

  private write<T>(op: string, key: string, value: T): number {
    const revision = ++this.sequence;
    this.entries.set(key, { json: JSON.stringify(value), revision, writtenAt: this.now() });
    this.writes.push({ op, key, revision });
    return revision;
  }

  /** The entry, unless it expired (then it is forgotten). */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.ttlMs > 0 && this.now() - entry.writtenAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private reachable(): void {
    if (this.unreachable) throw new Error('coordination store unreachable (test)');
  }
}

/**
 * A clock a test moves by hand, and the timers on it (the {@link Timers} port): a timer runs when the clock is moved
 * past its due time, never on its own.
 */
export class ManualClock implements Timers {
  private readonly timers = new Map<number, { due: number; fn: () => void }>();
  private sequence = 0;

  constructor(public value = 1_000_000) {}

  readonly now = (): number => this.value;

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const handle = ++this.sequence;
    this.timers.set(handle, { due: this.value + Math.max(0, ms), fn });
    return handle;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Moves the clock on, running each timer that falls due on the way (in due order) at its due time. */
  advance(ms: number): void {
    const target = this.value + ms;
    for (;;) {
      const next = [...this.timers].sort(([a, x], [b, y]) => x.due - y.due || a - b)[0];
      if (!next || next[1].due > target) break;
      this.timers.delete(next[0]);
      this.value = Math.max(this.value, next[1].due);
      next[1].fn();
    }
    this.value = target;
  }

  /**
   * Lets `ms` pass in steps of `stepMs`, and after each step lets the work its timers started run (everything
   * awaiting only promises and in-memory stores), as time passes for a process that is not paused.
   */
  async elapse(ms: number, stepMs: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += stepMs) {
      this.advance(Math.min(stepMs, ms - passed));
      // A macrotask: every promise the due timers set going settles first.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}
