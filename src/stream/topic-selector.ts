/**
 * From what an operator asks for (`--queues all|<ids or names>`, `--users all|<ids>`, raw topics) to concrete
 * topics: the WebSocket has no wildcards, so "all queues" means listing every queue and naming each one.
 * {@link TopicDiscovery} repeats the listing periodically, so a queue created tomorrow is subscribed without a
 * restart and a deleted one is dropped.
 */
import { ConfigError } from '../errors.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
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
  /** Called with the new topic set whenever it changed (and once after the first resolution). */
  onTopics: (topics: string[], resolved: ResolvedTopics) => void | Promise<void>;
  /** Time between re-discoveries (default 10 min; 0 turns re-discovery off). */
  intervalMs?: number;
  /** Reports a failed re-discovery; the previous topic set stays in force. */
  onError?: (error: unknown) => void;
  logger?: Logger;
}

/** Resolves a selection at start, then again periodically, and passes on every change. */
export class TopicDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private current = '';
  private readonly log: Logger;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly options: TopicDiscoveryOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'topic-discovery' });
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
    this.current = key(resolved.topics);
    await this.options.onTopics(resolved.topics, resolved);
    const interval = this.options.intervalMs ?? 10 * 60_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.refresh(), interval);
      this.timer.unref();
    }
    return resolved;
  }

  /** Resolves again now; returns whether the topic set changed. Concurrent calls share one resolution. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async doRefresh(): Promise<boolean> {
    try {
      const resolved = await this.options.selector.resolve();
      if (resolved.unresolved.length > 0)
        this.log.warn({ unresolved: resolved.unresolved }, 'queue names not found');
      const next = key(resolved.topics);
      if (next === this.current) return false;
      this.current = next;
      this.log.info({ topics: resolved.topics.length }, 'topic set changed');
      await this.options.onTopics(resolved.topics, resolved);
      return true;
    } catch (error) {
      this.log.warn({ err: describeError(error) }, 're-discovery failed; keeping the current topics');
      this.options.onError?.(error);
      return false;
    }
  }
}

function key(topics: string[]): string {
  return [...topics].sort().join('\n');
}
