/**
 * Reading an SQS message that an EventBridge rule delivered: the body is the EventBridge event, unchanged —
 * `{version, id, detail-type, source, account, time, region, resources, detail}` — whose `detail` is the platform's
 * notification `{topicName, version, eventBody, metadata: {CorrelationId}, timestamp}`. A rule whose input
 * transformer passes `$.detail` alone gives the notification itself, which is read the same way.
 *
 * Anything else is a poison message: it is not acknowledged, so the queue's redrive policy takes it to the
 * dead-letter queue after its receives.
 */
import type { Notification } from '../stream/frames.js';

/** What a message is: a notification (with the EventBridge event's id and time), or poison and why. */
export type EventBridgeReading =
  | {
      kind: 'notification';
      notification: Notification;
      /** The EventBridge event's `id` (the same for a copy EventBridge delivered again). */
      eventId: string | undefined;
      /** When the fact happened, epoch ms: the record's `eventTime`, else the event's `time`. */
      happenedAt: number | undefined;
    }
  | { kind: 'poison'; reason: string };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one message body. `receivedAt` is when it was received (epoch ms). */
export function readEventBridgeMessage(body: string | undefined, receivedAt: number): EventBridgeReading {
  if (body === undefined || body === '') return { kind: 'poison', reason: 'empty message body' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'poison', reason: 'message body is not JSON' };
  }
  if (!isObject(parsed)) return { kind: 'poison', reason: 'message body is not a JSON object' };
  const event = isObject(parsed.detail) ? parsed : undefined;
  const detail = event ? (parsed.detail as Json) : parsed;
  const topicName = detail.topicName;
  const eventBody = detail.eventBody;
  if (typeof topicName !== 'string' || topicName === '' || !isObject(eventBody)) {
    return {
      kind: 'poison',
      reason: event
        ? 'EventBridge event whose detail is not a notification ({topicName, eventBody})'
        : 'neither an EventBridge event nor a notification',
    };
  }
  const metadata = isObject(detail.metadata) ? detail.metadata : undefined;
  const correlationId = typeof metadata?.CorrelationId === 'string' ? metadata.CorrelationId : undefined;
  const notification: Notification = {
    kind: 'notification',
    topicName,
    topic: topicName.toLowerCase(),
    version: typeof detail.version === 'string' ? detail.version : undefined,
    eventBody,
    correlationId,
    receivedAt,
  };
  const eventTime = typeof eventBody.eventTime === 'number' ? eventBody.eventTime : undefined;
  const time = typeof event?.time === 'string' ? Date.parse(event.time) : Number.NaN;
  return {
    kind: 'notification',
    notification,
    eventId: typeof event?.id === 'string' ? event.id : undefined,
    happenedAt: eventTime ?? (Number.isNaN(time) ? undefined : time),
  };
}
