/**
 * The pipeline: notifications in, lifecycle events out. It picks the conversation notifications out of what a
 * source delivers — whole-conversation snapshots of the aggregate topics, one media's legs of the per-media topics,
 * detail events (held briefly and ordered by the detail-event assembler, then read as legs) — feeds them (and
 * whatever a backfill recovered) to the conversation processor, drops any event id it has already
 * delivered, and hands each new event to the in-process hub and to a delivery callback (the sinks). Frames of
 * topics it does not derive from are counted by topic family and logged once per family. Bad input is counted and
 * logged without customer data; it never stops the stream.
 */

import { readDetailEvent } from '../conversations/detail-events.js';
import {
  type AnalyticsConversationRecord,
  ConversationProcessor,
  type ConversationProcessorOptions,
  type ConversationReader,
  classifyTopic,
  type DetailAssemblerStats,
  DetailEventAssembler,
  type DetailEventAssemblerOptions,
  LifecycleDeriver,
  type LifecycleDeriverOptions,
  type TopicUse,
} from '../conversations/index.js';
import { snapshotOfLegs } from '../conversations/leg-record.js';
import { isSwitchboardError } from '../errors.js';
import type { EventSource, LifecycleEvent, LifecycleEventType } from '../events.js';
import { FanOut } from '../fan-out.js';
import { type Logger, silentLogger } from '../logging.js';
import type { Notification } from '../stream/frames.js';
import { parseFrame } from '../stream/frames.js';
import { RecentIds } from './recent-ids.js';

/** Events kept per in-process async iterator of lifecycle events before the oldest are dropped (and counted). */
export const LIFECYCLE_ITERATOR_BUFFER = 10_000;
/** Topics whose use is remembered (a pool holds up to 20,000): past this, the memory starts afresh. */
const TOPIC_MEMORY = 25_000;
/** Topic families counted one by one; frames of any further family are counted under `other`. */
const MAX_IGNORED_FAMILIES = 100;

export interface EventPipelineOptions {
  /** Reads conversations for wrap-up codes: analytics in batches, REST past the horizon. */
  reader: ConversationReader;
  /** How wrap-up codes are looked for (first look, batch window and size, horizon). */
  lookups?: Omit<ConversationProcessorOptions, 'reader' | 'onEvents' | 'deriver' | 'logger'>;
  /** Receives every new event after the hub (e.g. the sink dispatcher). */
  deliver?: (event: LifecycleEvent) => void;
  deriver?: LifecycleDeriverOptions;
  /** How many delivered ids to remember to drop repeats the deriver can no longer see (default 50,000). */
  recentIds?: number;
  logger?: Logger;
  /** Clock for `observedAt` (default `Date.now`). */
  now?: () => number;
  /** How detail events are held and settled (hold window, settle interval, retention, the timers they run on). */
  detailEvents?: Omit<DetailEventAssemblerOptions<Notification>, 'deliver' | 'onApplied'>;
}

/** What the pipeline has seen and done. */
export interface PipelineStats {
  notifications: number;
  /** Whole-conversation snapshots (`v2.routing.queues.{id}.conversations`, `v2.users.{id}.conversations`). */
  conversationSnapshots: number;
  /** One media's legs (`….conversations.calls`, `.callbacks`, `.chats`, `.emails`, `.messages`, `.videos`). */
  mediaSnapshots: number;
  /** Detail-event records (`v2.detail.events.conversation.{id}.*`), through EventBridge. */
  detailEvents: number;
  /** Notifications on topics the pipeline does not derive from (presence, detail events, ...), in total. */
  otherTopics: number;
  /** The same, by topic family (`v2.users.{id}.presence`, `v2.detail.events.conversation.{id}.acd.start`, ...). */
  ignoredTopics: Record<string, number>;
  malformed: number;
  recovered: number;
  duplicatesDropped: number;
  events: Record<LifecycleEventType, number>;
  eventsTotal: number;
  lastEventAt: string | undefined;
}

/** From notifications (live, replayed or recovered) to delivered lifecycle events. */
export class EventPipeline {
  readonly hub: FanOut<LifecycleEvent>;
  readonly processor: ConversationProcessor;
  /** Holds and orders detail events per conversation, then hands them to the processor as legs. */
  readonly detail: DetailEventAssembler<Notification>;
  private readonly deliverExternal: ((event: LifecycleEvent) => void) | undefined;
  private readonly recent: RecentIds;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly topicUses = new Map<string, TopicUse>();
  private readonly counters: Required<PipelineStats> = {
    notifications: 0,
    conversationSnapshots: 0,
    mediaSnapshots: 0,
    detailEvents: 0,
    otherTopics: 0,
    ignoredTopics: {},
    malformed: 0,
    recovered: 0,
    duplicatesDropped: 0,
    events: {
      'conversation.started': 0,
      'participant.joined': 0,
      'conversation.transferred': 0,
      'participant.left': 0,
      'conversation.ended': 0,
      'conversation.wrapup': 0,
    },
    eventsTotal: 0,
    lastEventAt: undefined,
  };

  constructor(options: EventPipelineOptions) {
    this.log = (options.logger ?? silentLogger()).child({ component: 'pipeline' });
    this.now = options.now ?? Date.now;
    this.deliverExternal = options.deliver;
    this.recent = new RecentIds(options.recentIds ?? 50_000);
    this.hub = new FanOut<LifecycleEvent>({
      iteratorBuffer: LIFECYCLE_ITERATOR_BUFFER,
      listenersAfterClose: true,
      onListenerError: (error, event) =>
        this.log.error({ err: error, eventType: event.type, eventId: event.id }, 'event listener failed'),
    });
    this.processor = new ConversationProcessor({
      deriver: new LifecycleDeriver(options.deriver),
      ...options.lookups,
      reader: options.reader,
      onEvents: (events) => this.deliverAll(events),
      logger: this.log,
    });
    this.detail = new DetailEventAssembler<Notification>({
      ...options.detailEvents,
      deliver: (legs, source, observedAt) =>
        this.processor.ingestSnapshot(snapshotOfLegs(legs), source, observedAt),
      // Derived from, and the events handed on: the source may let go of them.
      onApplied: (notifications) => {
        for (const n of notifications) n.acknowledge?.();
      },
    });
  }

  /** The seam every source feeds (Slack Bolt's `processEvent`): one notification in. */
  readonly receive = (notification: Notification): void => {
    this.counters.notifications++;
    const use = this.topicUse(notification.topic);
    if (use.kind === 'aggregate') this.counters.conversationSnapshots++;
    else if (use.kind === 'media') this.counters.mediaSnapshots++;
    else if (use.kind === 'detail') this.counters.detailEvents++;
    else {
      this.countIgnored(use);
      notification.acknowledge?.();
      return;
    }
    const source: EventSource = notification.replayed
      ? { kind: 'replay', file: notification.replayed.file, line: notification.replayed.line }
      : {
          kind: 'topic',
          topic: notification.topicName,
          ...(notification.channelId === undefined ? {} : { channelId: notification.channelId }),
          ...(notification.correlationId === undefined ? {} : { correlationId: notification.correlationId }),
        };
    const observedAt = new Date(notification.receivedAt ?? this.now()).toISOString();
    try {
      if (use.kind === 'detail') {
        const reading = readDetailEvent(notification.topicName, notification.eventBody);
        if (reading.kind === 'record') {
          // Acknowledged once the assembler has released it to the processor.
          this.detail.add(reading.record, source, notification);
          return;
        }
        this.countIgnored({ kind: 'other', family: use.family });
      } else if (use.kind === 'media') {
        this.processor.ingestMediaTopic(notification.eventBody, use.media, source, observedAt);
      } else {
        this.processor.ingest(notification.eventBody, source, observedAt);
      }
      notification.acknowledge?.();
    } catch (error) {
      this.countMalformed(error, notification.topic);
      notification.refuse?.();
    }
  };

  /** Parses and receives one raw WebSocket text frame (for replay and tests); control frames are ignored. */
  receiveFrame(text: string, channelId?: string): void {
    const frame = parseFrame(text);
    if (frame.kind === 'notification') {
      this.receive(channelId === undefined ? frame : { ...frame, channelId });
    } else if (frame.kind === 'malformed') {
      this.counters.malformed++;
      this.log.warn({ reason: frame.reason }, 'malformed frame skipped');
    }
  }

  /** Feeds a conversation recovered by a backfill (`GET /api/v2/conversations/{id}` body). */
  receiveRecovered(conversation: unknown, source: EventSource): void {
    this.counters.recovered++;
    try {
      this.processor.ingestRestConversation(conversation, source, new Date(this.now()).toISOString());
    } catch (error) {
      this.countMalformed(error, 'backfill');
    }
  }

  /** Feeds a conversation's analytics record recovered by a backfill. */
  receiveAnalytics(record: AnalyticsConversationRecord, source: EventSource): void {
    this.counters.recovered++;
    try {
      this.processor.ingestAnalytics(record, source, new Date(this.now()).toISOString());
    } catch (error) {
      this.countMalformed(error, 'backfill');
    }
  }

  /** Ids of the conversations the deriver considers live. */
  liveConversationIds(): string[] {
    return this.processor.deriver.liveConversationIds();
  }

  /** Conversations a gap may have changed (live, or owing a wrap-up) that no snapshot refreshed since then. */
  followedConversationIds(notSeenSince: number): string[] {
    return this.processor.deriver.followedConversationIds(notSeenSince);
  }

  /**
   * The end of a finite input (a replayed recording): detail events still held are derived now, and conversations
   * whose legs all ended end without waiting for their settle interval.
   */
  finishDetailEvents(): void {
    this.detail.finish();
  }

  /** What the detail-event assembler holds and did. */
  detailStats(): DetailAssemblerStats {
    return this.detail.stats();
  }

  stats(): Required<PipelineStats> {
    return {
      ...this.counters,
      ignoredTopics: { ...this.counters.ignoredTopics },
      events: { ...this.counters.events },
    };
  }

  /** Waits for outstanding wrap-up lookups. */
  async idle(): Promise<void> {
    await this.processor.idle();
  }

  /** Stops lookups and ends async iterators. */
  close(): void {
    // Records still held stay unacknowledged: their source delivers them again.
    this.detail.stop();
    this.processor.close();
    this.hub.close();
  }

  private deliverAll(events: LifecycleEvent[]): void {
    for (const event of events) {
      if (!this.recent.add(event.id)) {
        this.counters.duplicatesDropped++;
        continue;
      }
      this.counters.events[event.type]++;
      this.counters.eventsTotal++;
      this.counters.lastEventAt = event.observedAt;
      this.hub.emit(event);
      this.deliverExternal?.(event);
    }
  }

  private topicUse(topic: string): TopicUse {
    let use = this.topicUses.get(topic);
    if (use === undefined) {
      if (this.topicUses.size >= TOPIC_MEMORY) this.topicUses.clear();
      use = classifyTopic(topic);
      this.topicUses.set(topic, use);
    }
    return use;
  }

  /** Counts a frame not derived from, by family; the first of each family is logged, with why when it is known. */
  private countIgnored(use: Exclude<TopicUse, { kind: 'aggregate' | 'media' | 'detail' }>): void {
    this.counters.otherTopics++;
    const ignored = this.counters.ignoredTopics;
    const known = ignored[use.family] !== undefined;
    const family = known || Object.keys(ignored).length < MAX_IGNORED_FAMILIES ? use.family : 'other';
    ignored[family] = (ignored[family] ?? 0) + 1;
    if (known) return;
    if (use.kind === 'unusable') {
      this.log.warn(
        { topicFamily: use.family, reason: use.reason },
        'notifications of this topic family cannot be derived from; counted and skipped',
      );
    } else {
      this.log.warn(
        { topicFamily: use.family },
        'notifications of this topic family are not about conversation lifecycles; counted and skipped',
      );
    }
  }

  private countMalformed(error: unknown, topic: string): void {
    this.counters.malformed++;
    if (isSwitchboardError(error) && error.code === 'malformed_input') {
      this.log.warn({ topic, reason: error.message }, 'malformed snapshot skipped');
    } else {
      this.log.error({ topic, err: error }, 'snapshot could not be processed');
    }
  }
}
