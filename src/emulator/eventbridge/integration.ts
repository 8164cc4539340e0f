/**
 * The emulator's Amazon EventBridge integration: what an org admin sets up as the "Amazon EventBridge Source"
 * integration, with the AWS side (a rule targeting an SQS queue, unchanged) folded in. Notifications of topics that
 * match a topic filter (a literal `{id}` meaning every object) are wrapped in the EventBridge envelope —
 * `{version, id, detail-type: <filter>, source: aws.partner/genesys.com/cloud/<org>/<suffix>, account, time, region,
 * resources, detail: {topicName, version, eventBody, metadata, timestamp}}` — and sent into the queue as the message
 * body.
 *
 * EventBridge delivers at least once and in no guaranteed order; the faults make that happen on purpose: a copy of an
 * event (the same envelope, the same `id`) delivered again a little later, each delivery delayed by up to a reorder
 * window, a fixed delay on top, and poison messages injected by hand.
 */
import { randomUUID } from 'node:crypto';
import { hashSeed, Random } from '../world/random.js';
import type { SqsQueue } from './sqs-queue.js';

/** The integration's set-up. */
export interface EventBridgeSettings {
  /** Topic filters, `{id}` for every object (`v2.detail.events.conversation.{id}.customer.start`, ...). */
  topicFilters: string[];
  /** The partner event source's suffix (`aws.partner/genesys.com/cloud/<orgId>/<suffix>`). */
  eventSourceSuffix: string;
  accountId: string;
  region: string;
  /** The target queue's name. */
  queueName: string;
  /** The queue's default visibility timeout (AWS: 30 s). */
  visibilityTimeoutSeconds: number;
  /** Receives before a message goes to the dead-letter queue `<queueName>-dlq`; 0 for no redrive policy. */
  maxReceiveCount: number;
  /** Port of the SQS endpoint (0 picks a free one). */
  sqsPort: number;
  /** Seed of the faults' randomness. */
  seed: number;
}

/** Delivery faults, changeable while running. */
export interface EventBridgeFaults {
  /** Chance that an event is delivered a second time. */
  duplicateProbability: number;
  /** The copy arrives up to this long after the original. */
  duplicateDelayMs: number;
  /** Each delivery is delayed by up to this long, so events this close together can arrive in either order. */
  reorderWindowMs: number;
  /** Every delivery is delayed this much more. */
  delayMs: number;
}

/** The detail events a lifecycle needs, every conversation's. */
export const DEFAULT_TOPIC_FILTERS: readonly string[] = [
  'customer.start',
  'customer.end',
  'acd.start',
  'acd.end',
  'user.start',
  'user.end',
  'acw',
  'wrapup',
  'flow.start',
  'flow.end',
].map((event) => `v2.detail.events.conversation.{id}.${event}`);

export const DEFAULT_EVENTBRIDGE_SETTINGS: Readonly<EventBridgeSettings> = Object.freeze({
  topicFilters: [...DEFAULT_TOPIC_FILTERS],
  eventSourceSuffix: 'switchboard',
  accountId: '000000000000',
  region: 'us-east-1',
  queueName: 'genesys-events',
  visibilityTimeoutSeconds: 30,
  maxReceiveCount: 5,
  sqsPort: 0,
  seed: 1,
});

export const NO_FAULTS: Readonly<EventBridgeFaults> = Object.freeze({
  duplicateProbability: 0,
  duplicateDelayMs: 0,
  reorderWindowMs: 0,
  delayMs: 0,
});

/** What a poison message looks like: not JSON, JSON that is no EventBridge event, or a detail event without its ids. */
export type PoisonKind = 'not-json' | 'not-an-event' | 'bad-record';

/** Counters of the integration. */
export interface EventBridgeCounters {
  /** Events matched by a filter and delivered. */
  events: number;
  /** Extra copies delivered. */
  duplicates: number;
  poison: number;
}

interface Filter {
  topic: string;
  pattern: RegExp;
}

function compile(filter: string): Filter {
  const pattern = filter
    .toLowerCase()
    .split('{id}')
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^.]+');
  return { topic: filter, pattern: new RegExp(`^${pattern}$`) };
}

/** The integration in front of one queue. */
export class EventBridgeIntegration {
  readonly counters: EventBridgeCounters = { events: 0, duplicates: 0, poison: 0 };
  faults: EventBridgeFaults = { ...NO_FAULTS };
  private filters: Filter[];
  private readonly random: Random;
  private readonly source: string;

  constructor(
    readonly settings: EventBridgeSettings,
    readonly queue: SqsQueue,
    organizationId: string,
    private readonly now: () => number,
  ) {
    this.filters = settings.topicFilters.map(compile);
    this.random = new Random(hashSeed(settings.seed, 'eventbridge'));
    this.source = `aws.partner/genesys.com/cloud/${organizationId}/${settings.eventSourceSuffix}`;
  }

  /** The filter a concrete topic matches, if any. */
  filterOf(topicName: string): string | undefined {
    const lower = topicName.toLowerCase();
    return this.filters.find((f) => f.pattern.test(lower))?.topic;
  }

  /** Whether any filter is on a conversation detail event. */
  wantsDetailEvents(): boolean {
    return this.filters.some((f) => f.topic.toLowerCase().startsWith('v2.detail.events.conversation.'));
  }

  /** Replaces the topic filters (as editing the integration does). */
  setTopicFilters(filters: string[]): void {
    this.filters = filters.map(compile);
    this.settings.topicFilters = [...filters];
  }

  /** Delivers a notification when a filter matches it. */
  offer(topicName: string, eventBody: unknown): void {
    const detailType = this.filterOf(topicName);
    if (detailType === undefined) return;
    const body = JSON.stringify(this.envelope(topicName, detailType, eventBody));
    this.counters.events++;
    const { delayMs, reorderWindowMs, duplicateProbability, duplicateDelayMs } = this.faults;
    const delay = delayMs + this.random.next() * reorderWindowMs;
    this.queue.send(body, Math.round(delay));
    if (duplicateProbability > 0 && this.random.next() < duplicateProbability) {
      this.counters.duplicates++;
      this.queue.send(body, Math.round(delay + this.random.next() * duplicateDelayMs));
    }
  }

  /** Sends `n` poison messages into the queue. */
  poison(n: number, kind: PoisonKind = 'not-json'): void {
    for (let i = 0; i < n; i++) {
      this.counters.poison++;
      const conversationId = randomUUID();
      switch (kind) {
        case 'not-json':
          this.queue.send(`<html>not an event ${i}</html>`);
          break;
        case 'not-an-event':
          this.queue.send(JSON.stringify({ Message: 'a test notification, not an EventBridge event' }));
          break;
        case 'bad-record':
          this.queue.send(
            JSON.stringify(
              this.envelope(
                `v2.detail.events.conversation.${conversationId}.user.end`,
                'v2.detail.events.conversation.{id}.user.end',
                { conversationId, mediaType: 'VOICE' },
              ),
            ),
          );
          break;
      }
    }
  }

  private envelope(topicName: string, detailType: string, eventBody: unknown): Record<string, unknown> {
    const now = this.now();
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: this.source,
      account: this.settings.accountId,
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.settings.region,
      resources: [],
      detail: {
        topicName,
        version: '2',
        eventBody,
        metadata: { CorrelationId: randomUUID() },
        timestamp: new Date(now).toISOString(),
      },
    };
  }
}
