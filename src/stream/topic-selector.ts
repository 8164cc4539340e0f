/**
 * From what an operator asks for (`--queues all|<ids or names>`, `--users all|<ids>`, raw topics) to concrete
 * topics: the WebSocket has no wildcards, so "all queues" means listing every queue and naming each one.
 * {@link TopicDiscovery} repeats the listing periodically, so a queue created tomorrow is subscribed without a
 * restart and a deleted one is dropped.
 */
import { backoffDelay } from '../backoff.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import { backgroundTimeout, realTimers, type Timers } from './clock.js';
import type { DirectoryEntry, NotificationsPort } from './port.js';
import { describeError } from './retry.js';
import { queueTopic, userTopic } from './topics.js';

/** `'all'`, or a list of ids (queues: ids or names). */
export type SelectorValue = 'all' | string[];

/** What to subscribe to. */
export interface TopicSelection {
  queues?: SelectorValue;
  users?: SelectorValue;
  /** Raw topics, subscribed as given. */
  topics?: string[];
}

/** The outcome of resolving a selection. */
export interface ResolvedTopics {
  topics: string[];
  queueIds: string[];
  userIds: string[];
  /** Queue names that matched no queue. */
  unresolved: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a command-line selector: `all`, or a comma-separated list. Empty → undefined. */
export function parseSelectorValue(text: string | undefined): SelectorValue | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.toLowerCase() === 'all') return 'all';
  const items = trimmed
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

/** Turns a selection into topics through the platform's listings. */
export class TopicSelector {
  constructor(
    readonly selection: TopicSelection,
    private readonly port: NotificationsPort,
  ) {}

  /** Lists what the selection needs (all pages) and returns the topics. */
  async resolve(): Promise<ResolvedTopics> {
    const { queues, users, topics = [] } = this.selection;
    const unresolved: string[] = [];
    const queueIds = new Set<string>();
    if (queues === 'all') {
      for (const q of await this.port.listQueues()) queueIds.add(q.id.toLowerCase());
    } else if (queues) {
      const names = queues.filter((q) => !UUID.test(q));
      for (const q of queues) if (UUID.test(q)) queueIds.add(q.toLowerCase());
      if (names.length > 0) {
        const byName = indexByName(await this.port.listQueues());
        for (const name of names) {
          const ids = byName.get(name.toLowerCase());
          if (ids) for (const id of ids) queueIds.add(id);
          else unresolved.push(name);
        }
      }
    }
    const userIds = new Set<string>();
    if (users === 'all') {
      for (const u of await this.port.listUsers()) userIds.add(u.id.toLowerCase());
    } else if (users) {
      for (const u of users) userIds.add(u.toLowerCase());
    }
    const all = new Set<string>([
      ...[...queueIds].map(queueTopic),
      ...[...userIds].map(userTopic),
      ...topics.map((t) => t.toLowerCase()),
    ]);
    return { topics: [...all], queueIds: [...queueIds], userIds: [...userIds], unresolved };
  }
}

function indexByName(entries: DirectoryEntry[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const entry of entries) {
    if (!entry.name) continue;
    const key = entry.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), entry.id.toLowerCase()]);
  }
  return byName;
}

export interface TopicDiscoveryOptions {
  selector: TopicSelector;
  /**
   * Applies a topic set: called after the first resolution, then whenever the set differs from the one last applied.
   * A rejection means "not applied": the set is offered again at the next try.
   */
  onTopics: (topics: string[], resolved: ResolvedTopics) => void | Promise<void>;
  /** Time between re-discoveries (default 10 min; 0 turns re-discovery off). */
  intervalMs?: number;
  /**
   * Wait before trying again after a failed re-discovery or a change not applied (default 30 s, doubling after each
   * failure in a row, never longer than the interval).
   */
  retryMs?: number;
  /** Reports a failed re-discovery or change; the topics last applied stay in force. */
  onError?: (error: unknown) => void;
  /** The clock its timers run on (default: the system's). */
  timers?: Timers;
  logger?: Logger;
}

/** Resolves a selection at start, then again periodically, and passes on every change until it is applied. */
export class TopicDiscovery {
  private timer: unknown;
  /** The topic set `onTopics` last accepted: a set is recorded only once it is applied. */
  private applied = '';
  private failuresInARow = 0;
  private stopped = false;
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly options: TopicDiscoveryOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'topic-discovery' });
    this.timers = options.timers ?? realTimers;
    this.intervalMs = options.intervalMs ?? 10 * 60_000;
    this.retryMs = options.retryMs ?? 30_000;
  }

  /**
   * Resolves the selection for the first time. Throws a ConfigError when queue names match nothing or when the
   * selection yields no topic at all: at start, that is a mistake to report, not to run with.
   */
  async start(): Promise<ResolvedTopics> {
    const resolved = await this.options.selector.resolve();
    if (resolved.unresolved.length > 0) {
      throw new ConfigError(`no queue is named ${resolved.unresolved.map((n) => `"${n}"`).join(', ')}`, {
        hint: 'Queue names are matched without regard to case; give queue ids, or check the names in the admin UI.',
      });
    }
    if (resolved.topics.length === 0) {
      throw new ConfigError('the selection yields no topic to subscribe', {
        hint: 'Select queues or users (--queues all, --users all, or lists of ids), or give topics.',
      });
    }
    await this.options.onTopics(resolved.topics, resolved);
    this.applied = key(resolved.topics);
    this.scheduleNext(this.intervalMs);
    return resolved;
  }

  /**
   * Resolves again now and applies the set if it differs from the one last applied; returns whether it applied a
   * change. Concurrent calls share one resolution.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async doRefresh(): Promise<boolean> {
    let failed = false;
    try {
      const resolved = await this.options.selector.resolve();
      if (resolved.unresolved.length > 0)
        this.log.warn({ unresolved: resolved.unresolved }, 'queue names not found');
      const next = key(resolved.topics);
      if (next === this.applied) return false;
      this.log.info({ topics: resolved.topics.length }, 'topic set changed');
      await this.options.onTopics(resolved.topics, resolved);
      this.applied = next;
      return true;
    } catch (error) {
      failed = true;
      this.log.warn(
        { err: describeError(error) },
        're-discovery or topic change failed; the topics last applied stay in force, trying again',
      );
      this.options.onError?.(error);
      return false;
    } finally {
      this.failuresInARow = failed ? this.failuresInARow + 1 : 0;
      this.scheduleNext(failed ? this.retryDelay() : this.intervalMs);
    }
  }

  private retryDelay(): number {
    return backoffDelay(this.failuresInARow, {
      initialDelayMs: this.retryMs,
      maxDelayMs: this.intervalMs,
      jitter: 'none',
    });
  }

  /** One timer at a time: the next re-discovery, or the retry of a failed one. */
  private scheduleNext(delayMs: number): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || !(this.intervalMs > 0)) return;
    this.timer = backgroundTimeout(
      this.timers,
      () => {
        this.timer = undefined;
        void this.refresh();
      },
      delayMs,
    );
  }
}

function key(topics: string[]): string {
  return [...topics].sort().join('\n');
}
