/**
 * Packing topics onto notification channels. The platform allows at most 1,000 topics per channel and 20 channels
 * per user + OAuth client (a 21st silently evicts the least recently used one), so the plan never uses more channels
 * than its budget, keeps headroom for the extra channel a hand-over or rotation needs, and keeps assignments
 * stable: a new topic joins a channel with room instead of reshuffling every channel.
 *
 * The plan takes its topic set from outside (selectors, or a shard assignment when several replicas split the
 * topics), so it does not care where the topics came from.
 */
import { ConfigError } from '../errors.js';
import { topicProblem } from './topics.js';

/** Topics per channel allowed by the platform. */
export const PLATFORM_TOPICS_PER_CHANNEL = 1000;
/** Channels per user + OAuth client allowed by the platform. */
export const PLATFORM_CHANNEL_LIMIT = 20;

export interface TopicPlanOptions {
  /** Topics per channel (default and maximum 1,000). */
  topicsPerChannel?: number;
  /** Channels this process may hold at once, counting hand-over/rotation extras (default 20). */
  channelBudget?: number;
  /** Channels of the budget kept free for hand-overs and rotations (default 1). */
  reservedChannels?: number;
}

/** One channel's share of the plan. `slot` is stable for the channel's whole life in the plan. */
export interface PlannedChannel {
  slot: number;
  topics: readonly string[];
}

/** A topic the plan refused, and why. */
export interface InvalidTopic {
  topic: string;
  problem: string;
}

/** What one {@link TopicPlan.assign} changed. */
export interface PlanChange {
  channels: PlannedChannel[];
  /** Slots that did not exist before. */
  createdSlots: number[];
  /** Slots that no longer exist (their topics went away). */
  removedSlots: number[];
  /** Existing slots whose topic list changed. */
  changedSlots: number[];
  addedTopics: string[];
  removedTopics: string[];
  invalid: InvalidTopic[];
}

/** Assigns topics to channel slots within the channel budget. */
export class TopicPlan {
  readonly topicsPerChannel: number;
  readonly channelBudget: number;
  readonly reservedChannels: number;
  private slots = new Map<number, string[]>();

  constructor(options: TopicPlanOptions = {}) {
    this.topicsPerChannel = options.topicsPerChannel ?? PLATFORM_TOPICS_PER_CHANNEL;
    this.channelBudget = options.channelBudget ?? PLATFORM_CHANNEL_LIMIT;
    this.reservedChannels = options.reservedChannels ?? 1;
    if (
      !Number.isInteger(this.topicsPerChannel) ||
      this.topicsPerChannel < 1 ||
      this.topicsPerChannel > PLATFORM_TOPICS_PER_CHANNEL
    ) {
      throw new ConfigError(
        `topicsPerChannel must be an integer from 1 to ${PLATFORM_TOPICS_PER_CHANNEL}, got ${this.topicsPerChannel}`,
        { hint: 'The platform refuses more than 1,000 topics on one channel.' },
      );
    }
    if (!Number.isInteger(this.channelBudget) || this.channelBudget < 1) {
      throw new ConfigError(`channelBudget must be a positive integer, got ${this.channelBudget}`);
    }
    if (this.channelBudget > PLATFORM_CHANNEL_LIMIT) {
      throw new ConfigError(
        `channelBudget ${this.channelBudget} exceeds the platform's ${PLATFORM_CHANNEL_LIMIT}`,
        {
          hint: 'A 21st channel silently evicts the oldest one of the same user + OAuth client.',
        },
      );
    }
    if (!Number.isInteger(this.reservedChannels) || this.reservedChannels < 0) {
      throw new ConfigError(`reservedChannels must be a non-negative integer, got ${this.reservedChannels}`);
    }
    if (this.reservedChannels >= this.channelBudget) {
      throw new ConfigError(
        `reservedChannels (${this.reservedChannels}) leaves no channel of the budget (${this.channelBudget}) for topics`,
      );
    }
  }

  /** Channels available for topics: the budget minus the headroom. */
  get usableChannels(): number {
    return this.channelBudget - this.reservedChannels;
  }

  /** The current assignment, by slot. */
  channels(): PlannedChannel[] {
    return [...this.slots.entries()].sort(([a], [b]) => a - b).map(([slot, topics]) => ({ slot, topics }));
  }

  /** Every topic currently planned. */
  topics(): string[] {
    return this.channels().flatMap((c) => c.topics);
  }

  /**
   * Makes `wanted` the planned topic set, moving as few topics as possible. Throws a ConfigError (and changes
   * nothing) when the topics do not fit the budget.
   */
  assign(wanted: Iterable<string>): PlanChange {
    const invalid: InvalidTopic[] = [];
    const desired = new Set<string>();
    for (const raw of wanted) {
      const problem = topicProblem(raw);
      if (problem) invalid.push({ topic: raw, problem });
      else desired.add(raw.toLowerCase());
    }
    this.checkFits(desired.size);

    const before = new Map([...this.slots].map(([slot, topics]) => [slot, topics.join('\n')]));
    const next = new Map<number, string[]>();
    const placed = new Set<string>();
    const removedTopics: string[] = [];
    for (const [slot, topics] of this.slots) {
      const kept = topics.filter((t) => {
        if (desired.has(t)) return true;
        removedTopics.push(t);
        return false;
      });
      for (const t of kept) placed.add(t);
      if (kept.length > 0) next.set(slot, kept);
    }
    const addedTopics = [...desired].filter((t) => !placed.has(t));
    this.place(next, addedTopics);
    this.compact(next);
    this.slots = next;

    const createdSlots: number[] = [];
    const changedSlots: number[] = [];
    for (const [slot, topics] of next) {
      const previous = before.get(slot);
      if (previous === undefined) createdSlots.push(slot);
      else if (previous !== topics.join('\n')) changedSlots.push(slot);
    }
    const removedSlots = [...before.keys()].filter((slot) => !next.has(slot));
    return {
      channels: this.channels(),
      createdSlots: createdSlots.sort((a, b) => a - b),
      removedSlots,
      changedSlots: changedSlots.sort((a, b) => a - b),
      addedTopics,
      removedTopics,
      invalid,
    };
  }

  private checkFits(topicCount: number): void {
    const needed = Math.ceil(topicCount / this.topicsPerChannel);
    if (needed <= this.usableChannels) return;
    const capacity = this.usableChannels * this.topicsPerChannel;
    throw new ConfigError(
      `${topicCount} topics need ${needed} channels of ${this.topicsPerChannel} topics, but only ${this.usableChannels} ` +
        `channels are usable (budget ${this.channelBudget}, ${this.reservedChannels} kept free for hand-over and ` +
        `rotation), which hold ${capacity} topics`,
      {
        hint:
          'Select fewer queues or users (--queues/--users), raise topicsPerChannel (at most 1,000), or split the ' +
          'topics across several OAuth clients or replicas (shard assignment): each user + OAuth client gets 20 channels.',
      },
    );
  }

  /** First fit into existing slots (lowest slot first), then new slots with the lowest free numbers. */
  private place(slots: Map<number, string[]>, topics: string[]): void {
    let index = 0;
    for (const slot of [...slots.keys()].sort((a, b) => a - b)) {
      const list = slots.get(slot)!;
      while (index < topics.length && list.length < this.topicsPerChannel) list.push(topics[index++]!);
    }
    let slot = 0;
    while (index < topics.length) {
      while (slots.has(slot)) slot++;
      const list: string[] = [];
      while (index < topics.length && list.length < this.topicsPerChannel) list.push(topics[index++]!);
      slots.set(slot, list);
    }
  }

  /** When removals left more channels than usable, empties the emptiest channels into the others. */
  private compact(slots: Map<number, string[]>): void {
    while (slots.size > this.usableChannels) {
      const [emptiest] = [...slots.entries()].sort(([sa, a], [sb, b]) => a.length - b.length || sb - sa);
      if (!emptiest) return;
      slots.delete(emptiest[0]);
      this.place(slots, emptiest[1]);
    }
  }
}
