/**
 * How lifecycle events map to the subjects of the JetStream event stream, and which names the stream and its prefix
 * may take. Plain functions with no NATS client behind them: the `nats` sink reads its settings with them without
 * loading the client.
 *
 * An event goes to `<prefix>.<type token>.<conversationId>`, e.g. `switchboard.events.started.<id>` or
 * `switchboard.events.participant-joined.<id>`: the type is one subject token (`conversation.` dropped, other
 * dots turned into `-`), so consumers filter by type (`switchboard.events.ended.*`) or by conversation
 * (`switchboard.events.*.<id>`).
 */
import { ConfigError } from '../errors.js';
import type { LifecycleEvent, LifecycleEventType } from '../events.js';

export const DEFAULT_EVENT_STREAM = 'SWITCHBOARD_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 'switchboard.events';

const STREAM_NAME = /^[^\s.*>/\\]+$/;
const PREFIX_TOKEN = /^[^\s.*>]+$/;

/** The subject token of an event type: `started`, `participant-joined`, `wrapup`, … */
export function eventTypeToken(type: LifecycleEventType): string {
  return type.replace(/^conversation\./, '').replace(/\./g, '-');
}

/** The subject an event is published on: `<prefix>.<type token>.<conversationId>`. */
export function busSubject(prefix: string, event: Pick<LifecycleEvent, 'type' | 'conversationId'>): string {
  return `${prefix}.${eventTypeToken(event.type)}.${subjectToken(event.conversationId)}`;
}

/** Filter subject of one event type (every conversation): `<prefix>.<type token>.*`. */
export function typeFilter(prefix: string, type: LifecycleEventType): string {
  return `${prefix}.${eventTypeToken(type)}.*`;
}

/** Filter subject of one conversation (every type): `<prefix>.*.<conversationId>`. */
export function conversationFilter(prefix: string, conversationId: string): string {
  return `${prefix}.*.${subjectToken(conversationId)}`;
}

/** Conversation ids are UUIDs; anything that could not be one subject token is replaced, never dropped. */
function subjectToken(value: string): string {
  const token = value.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}

/** Throws ConfigError unless `name` can be a stream name. */
export function checkStreamName(name: string): void {
  if (!STREAM_NAME.test(name)) {
    throw new ConfigError(`"${name}" cannot be a JetStream stream name.`, {
      hint: 'Use letters, digits, "-" and "_" only, e.g. SWITCHBOARD_EVENTS.',
    });
  }
}

/** Throws ConfigError unless `prefix` is a literal subject prefix (dot-separated tokens, no wildcards). */
export function checkSubjectPrefix(prefix: string): void {
  if (prefix.split('.').some((token) => !PREFIX_TOKEN.test(token))) {
    throw new ConfigError(`"${prefix}" cannot be a subject prefix.`, {
      hint: 'Use dot-separated words without spaces or wildcards, e.g. switchboard.events.',
    });
  }
}
