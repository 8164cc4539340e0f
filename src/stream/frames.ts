/**
 * Notification frames: one JSON object per WebSocket text frame. {@link parseFrame} sorts a frame into a topic
 * notification, a system message, a heartbeat, a pong, or a malformed frame — it never throws, because one bad frame
 * must not stop a stream that runs for months.
 */

/** A notification on a subscribed topic: `{topicName, version, eventBody, metadata: {CorrelationId}}`. */
export interface Notification {
  kind: 'notification';
  /** The topic name exactly as the platform sent it. */
  topicName: string;
  /** The topic name in lower case: topic names are matched case-insensitively. */
  topic: string;
  version: string | undefined;
  /** The event body; for conversation topics, a whole-conversation snapshot. */
  eventBody: Record<string, unknown>;
  /** `metadata.CorrelationId`, when present. */
  correlationId: string | undefined;
  /** The channel the frame arrived on (set by the receiver, absent from {@link parseFrame}'s result). */
  channelId?: string;
  /** Epoch milliseconds when the frame was received (set by the receiver). */
  receivedAt?: number;
  /** Set when the notification comes from a recording rather than a live socket. */
  replayed?: { file: string; line: number };
  /**
   * Set by a source that acknowledges what it delivers (an SQS message is deleted once acknowledged): the pipeline
   * calls it once the notification's events were derived and handed on (or it had none to give). A notification
   * that could not be read is never acknowledged: its source's redelivery and dead-letter rules deal with it.
   */
  acknowledge?: () => void;
  /** Set with `acknowledge`: the pipeline calls it when it cannot read the notification (it will never acknowledge it). */
  refuse?: () => void;
}

/** The system messages the platform sends unasked. */
export type SystemMessageType = 'socket_closing' | 'no_longer_subscribed' | 'token_revoked' | 'other';

/** A `v2.system.*` message. */
export interface SystemMessage {
  kind: 'system';
  type: SystemMessageType;
  topicName: string;
  /** From the body's `channelId`, else from the topic suffix (`v2.system.token_revoked.<id>`). */
  channelId: string | undefined;
  reason: string | undefined;
  message: string | undefined;
  body: Record<string, unknown>;
}

/** The server's periodic `channel.metadata` "WebSocket Heartbeat" (or any other `channel.metadata` message). */
export interface Heartbeat {
  kind: 'heartbeat';
  message: string | undefined;
}

/** The reply to a client `{"message":"ping"}`. */
export interface Pong {
  kind: 'pong';
}

/** A frame that could not be understood; counted and reported by the receiver. */
export interface MalformedFrame {
  kind: 'malformed';
  reason: string;
  /** The first characters of the frame, for diagnosis (frames can carry customer data: log with care). */
  excerpt: string;
}

export type Frame = Notification | SystemMessage | Heartbeat | Pong | MalformedFrame;

/** The frame a client sends to ask for a pong. */
export const PING_FRAME = '{"message":"ping"}';

const SYSTEM_PREFIX = 'v2.system.';
const METADATA_TOPIC = 'channel.metadata';
const EXCERPT_LENGTH = 120;

function malformed(reason: string, text: string): MalformedFrame {
  return {
    kind: 'malformed',
    reason,
    excerpt: text.length > EXCERPT_LENGTH ? text.slice(0, EXCERPT_LENGTH) : text,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Sorts one received text frame. Never throws. */
export function parseFrame(text: string): Frame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return malformed('not JSON', text);
  }
  return frameOf(parsed, text);
}

/**
 * Sorts a frame already parsed from JSON (a replayed line holds one, so it is not parsed twice); `text` is the
 * source, kept only as the malformed frame's excerpt. Never throws.
 */
export function frameOf(parsed: unknown, text: string): Frame {
  if (!isObject(parsed)) return malformed('not a JSON object', text);
  const topicName = parsed.topicName;
  if (typeof topicName !== 'string' || topicName.length === 0) return malformed('no topicName', text);
  const topic = topicName.toLowerCase();
  const body = parsed.eventBody;

  if (topic === METADATA_TOPIC) {
    const message = isObject(body) ? optionalString(body.message) : undefined;
    if (message !== undefined && message.toLowerCase() === 'pong') return { kind: 'pong' };
    return { kind: 'heartbeat', message };
  }
  if (!isObject(body)) return malformed('eventBody is not an object', text);
  if (topic.startsWith(SYSTEM_PREFIX)) return systemMessage(topicName, topic, body);

  const metadata = parsed.metadata;
  return {
    kind: 'notification',
    topicName,
    topic,
    version: optionalString(parsed.version),
    eventBody: body,
    correlationId: isObject(metadata) ? optionalString(metadata.CorrelationId) : undefined,
  };
}

function systemMessage(topicName: string, topic: string, body: Record<string, unknown>): SystemMessage {
  const rest = topic.slice(SYSTEM_PREFIX.length);
  const dot = rest.indexOf('.');
  const name = dot === -1 ? rest : rest.slice(0, dot);
  const suffix = dot === -1 ? undefined : topicName.slice(SYSTEM_PREFIX.length + dot + 1);
  const type: SystemMessageType =
    name === 'socket_closing' || name === 'no_longer_subscribed' || name === 'token_revoked' ? name : 'other';
  return {
    kind: 'system',
    type,
    topicName,
    channelId: optionalString(body.channelId) ?? (suffix || undefined),
    reason: optionalString(body.reason),
    message: optionalString(body.message),
    body,
  };
}
