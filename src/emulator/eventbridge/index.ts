/**
 * The emulator's EventBridge side: the integration (topic filters, envelope, delivery faults), the SQS queue it
 * targets with its dead-letter queue, the SQS endpoint the AWS SDK talks to, and the admin routes:
 *
 * - `GET  /__emulator/eventbridge` → `{queueUrl, deadLetterQueueUrl, sqsEndpoint, topicFilters, faults, counters,
 *   queue, deadLetter}`
 * - `POST /__emulator/eventbridge/faults` `{duplicateProbability?, duplicateDelayMs?, reorderWindowMs?, delayMs?}` →
 *   the faults now in force
 * - `POST /__emulator/eventbridge/poison` `{n?, kind?: 'not-json' | 'not-an-event' | 'bad-record'}` → `{poison}`
 * - `PUT  /__emulator/eventbridge/topics` `{topicFilters}` → `{topicFilters}`
 */
import type { Router } from '../router.js';
import { platformError } from '../router.js';
import type { Clock } from '../world/clock.js';
import {
  DEFAULT_EVENTBRIDGE_SETTINGS,
  type EventBridgeFaults,
  EventBridgeIntegration,
  type EventBridgeSettings,
  type PoisonKind,
} from './integration.js';
import { SqsQueue } from './sqs-queue.js';
import { type SqsServer, startSqsServer } from './sqs-server.js';

export {
  DEFAULT_EVENTBRIDGE_SETTINGS,
  DEFAULT_TOPIC_FILTERS,
  type EventBridgeFaults,
  EventBridgeIntegration,
  type EventBridgeSettings,
  type PoisonKind,
} from './integration.js';
export { type ReceivedMessage, SqsError, SqsQueue } from './sqs-queue.js';
export type { SqsServer } from './sqs-server.js';

/** A running EventBridge integration and its queue. */
export interface EmulatorEventBridge {
  integration: EventBridgeIntegration;
  queue: SqsQueue;
  /** Where messages received too often go (absent without a redrive policy). */
  deadLetter: SqsQueue | undefined;
  /** The queue's URL, what `switchboard listen --source eventbridge --queue-url` takes. */
  queueUrl: string;
  /** The SQS endpoint (`http://host:port`). */
  sqsEndpoint: string;
  sqs: SqsServer;
  stop(): Promise<void>;
}

/** Starts the SQS endpoint and the queues, and sets the integration up in front of them. */
export async function startEventBridge(options: {
  settings?: Partial<EventBridgeSettings>;
  organizationId: string;
  clock: Clock;
  host?: string;
}): Promise<EmulatorEventBridge> {
  const settings: EventBridgeSettings = {
    ...DEFAULT_EVENTBRIDGE_SETTINGS,
    ...Object.fromEntries(Object.entries(options.settings ?? {}).filter(([, v]) => v !== undefined)),
  };
  settings.topicFilters = [...settings.topicFilters];
  const queues: SqsQueue[] = [];
  const sqs = await startSqsServer({ queues: () => queues, host: options.host, port: settings.sqsPort });
  const common = {
    region: settings.region,
    accountId: settings.accountId,
    endpoint: sqs.url,
    clock: options.clock,
  };
  const deadLetter =
    settings.maxReceiveCount > 0 ? new SqsQueue({ ...common, name: `${settings.queueName}-dlq` }) : undefined;
  const queue = new SqsQueue({
    ...common,
    name: settings.queueName,
    visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
    ...(deadLetter ? { redrive: { maxReceiveCount: settings.maxReceiveCount, deadLetter } } : {}),
  });
  queues.push(queue);
  if (deadLetter) queues.push(deadLetter);
  const integration = new EventBridgeIntegration(settings, queue, options.organizationId, () =>
    options.clock.now(),
  );
  return {
    integration,
    queue,
    deadLetter,
    queueUrl: queue.url,
    sqsEndpoint: sqs.url,
    sqs,
    stop: async () => {
      for (const q of queues) q.close();
      await sqs.close();
    },
  };
}

const open = { auth: false, rateLimited: false };

const FAULT_KEYS = ['duplicateProbability', 'duplicateDelayMs', 'reorderWindowMs', 'delayMs'] as const;
const POISON_KINDS: readonly PoisonKind[] = ['not-json', 'not-an-event', 'bad-record'];

/** Registers the admin routes of the EventBridge side. */
export function registerEventBridgeRoutes(router: Router, eventBridge: EmulatorEventBridge): void {
  const { integration, queue, deadLetter } = eventBridge;
  router.add(
    'GET',
    '/__emulator/eventbridge',
    () => ({
      status: 200,
      body: {
        queueUrl: eventBridge.queueUrl,
        deadLetterQueueUrl: deadLetter?.url,
        sqsEndpoint: eventBridge.sqsEndpoint,
        topicFilters: integration.settings.topicFilters,
        faults: integration.faults,
        counters: { ...integration.counters, sqs: eventBridge.sqs.counters },
        queue: { size: queue.size, attributes: queue.attributes(), counters: queue.counters },
        deadLetter: deadLetter && { size: deadLetter.size, counters: deadLetter.counters },
      },
    }),
    open,
  );
  router.add(
    'POST',
    '/__emulator/eventbridge/faults',
    (request) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const next: EventBridgeFaults = { ...integration.faults };
      for (const key of FAULT_KEYS) {
        const value = body[key];
        if (value === undefined) continue;
        const limit = key === 'duplicateProbability' ? 1 : Number.POSITIVE_INFINITY;
        if (typeof value !== 'number' || !(value >= 0) || value > limit)
          return platformError(
            400,
            'invalid.value',
            `${key} must be a number from 0${limit === 1 ? ' to 1' : ''}`,
          );
        next[key] = value;
      }
      integration.faults = next;
      return { status: 200, body: next };
    },
    open,
  );
  router.add(
    'POST',
    '/__emulator/eventbridge/poison',
    (request) => {
      const body = (request.body ?? {}) as { n?: unknown; kind?: unknown };
      const n = body.n === undefined ? 1 : body.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000)
        return platformError(400, 'invalid.value', 'n must be an integer from 1 to 1000');
      const kind = (body.kind ?? 'not-json') as PoisonKind;
      if (!POISON_KINDS.includes(kind))
        return platformError(400, 'invalid.value', `kind must be one of ${POISON_KINDS.join(', ')}`);
      integration.poison(n, kind);
      return { status: 200, body: { poison: integration.counters.poison } };
    },
    open,
  );
  router.add(
    'PUT',
    '/__emulator/eventbridge/topics',
    (request) => {
      const filters = (request.body as { topicFilters?: unknown } | undefined)?.topicFilters;
      if (!Array.isArray(filters) || !filters.every((f) => typeof f === 'string' && f.length > 0))
        return platformError(400, 'invalid.value', 'topicFilters must be an array of topic names');
      integration.setTopicFilters(filters as string[]);
      return { status: 200, body: { topicFilters: integration.settings.topicFilters } };
    },
    open,
  );
}
