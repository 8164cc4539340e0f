/**
 * Which notification topics the deriver can read, and how. The aggregate conversation topics send whole
 * conversations; the per-media topics (`….conversations.calls`, `.messages`, …) send one media's participants,
 * flattened (see ./media-topics.ts); the detail-event topics send one record per leg event (see ./detail-events.ts),
 * which the pipeline reads as they come through EventBridge — on the WebSocket they are refused, as each names one
 * conversation. Add-on sessions (screen shares, co-browse) and legacy social expressions never decide a
 * conversation's lifecycle, so their topics are refused too: subscribed alone they would derive nothing, and their
 * legs would be mistaken for the conversation's own.
 *
 * Topic names are matched case-insensitively (the platform's own definitions spell `cobrowseSessions`).
 */
import { ConfigError } from '../errors.js';
import type { MediaType } from '../events.js';

/** The per-media topic suffixes the deriver reads, and the media type each one carries. */
export const MEDIA_TOPICS: Readonly<Record<string, MediaType>> = {
  calls: 'voice',
  callbacks: 'callback',
  chats: 'chat',
  emails: 'email',
  messages: 'message',
  videos: 'video',
};

/** Per-media topic suffixes the deriver cannot use, and why. */
const UNUSABLE_MEDIA: Readonly<Record<string, string>> = {
  screenshares: 'screen shares are add-on sessions of a conversation whose own media decides its lifecycle',
  cobrowsesessions:
    'co-browse sessions are add-on sessions of a conversation whose own media decides its lifecycle',
  socialexpressions: 'social expressions (legacy Facebook and Twitter posts) have no lifecycle events here',
};

/** Whose conversations a conversation topic follows. */
export interface TopicSubject {
  kind: 'queue' | 'user';
  id: string;
}

/** What the deriver makes of a topic. */
export type TopicUse =
  /** `v2.routing.queues.{id}.conversations`, `v2.users.{id}.conversations`: whole conversations. */
  | { kind: 'aggregate'; family: string; subject: TopicSubject }
  /** `….conversations.{media}`: that media's participants only, flattened. */
  | { kind: 'media'; family: string; subject: TopicSubject; media: MediaType }
  /** `v2.detail.events.conversation.{id}.<event>`: one record per leg event (EventBridge). */
  | { kind: 'detail'; family: string; event: string }
  /** A conversation topic the deriver cannot use: refused at start (`reason` says why). */
  | { kind: 'unusable'; family: string; reason: string }
  /** Anything else (presence, routing status, observations, ...): not about conversation lifecycles. */
  | { kind: 'other'; family: string };

const CONVERSATION_TOPIC = /^v2\.(routing\.queues|users)\.([^.]+)\.conversations(?:\.([a-z]+))?$/;
const DETAIL_EVENT_TOPIC = /^v2\.detail\.events\.conversation\.([^.]+)\.(.+)$/;
const ID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DETAIL_EVENT_REASON =
  'detail events name one conversation each, so the WebSocket cannot follow an org with them: read them through ' +
  'the EventBridge source (--source eventbridge, topic filter v2.detail.events.conversation.{id}.<event>), or ' +
  'on the WebSocket subscribe to v2.routing.queues.{id}.conversations or v2.users.{id}.conversations ' +
  '(or their per-media topics) instead';

/** The topic with its ids replaced by `{id}`: what metrics and logs count topics by. */
export function topicFamily(topic: string): string {
  return topic
    .toLowerCase()
    .split('.')
    .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
    .join('.');
}

/** Sorts a concrete topic (any case) into what the deriver makes of it. */
export function classifyTopic(topic: string): TopicUse {
  const lower = topic.toLowerCase();
  const conversation = CONVERSATION_TOPIC.exec(lower);
  if (conversation) {
    const subject: TopicSubject = {
      kind: conversation[1] === 'users' ? 'user' : 'queue',
      id: conversation[2]!,
    };
    const prefix =
      subject.kind === 'user' ? 'v2.users.{id}.conversations' : 'v2.routing.queues.{id}.conversations';
    const suffix = conversation[3];
    if (suffix === undefined) return { kind: 'aggregate', family: prefix, subject };
    const family = `${prefix}.${suffix}`;
    const media = MEDIA_TOPICS[suffix];
    if (media !== undefined) return { kind: 'media', family, subject, media };
    return { kind: 'unusable', family, reason: UNUSABLE_MEDIA[suffix] ?? 'not a conversation media' };
  }
  const detail = DETAIL_EVENT_TOPIC.exec(lower);
  if (detail) {
    return { kind: 'detail', family: `v2.detail.events.conversation.{id}.${detail[2]}`, event: detail[2]! };
  }
  return { kind: 'other', family: topicFamily(lower) };
}

/**
 * Refuses topics the deriver cannot use on the WebSocket, before anything is subscribed: one ConfigError naming each
 * such topic and why (detail events among them: they come through EventBridge). Topics that are not about
 * conversations (presence, ...) pass: they are subscribed, counted and ignored.
 */
export function refuseUnusableTopics(topics: Iterable<string>): void {
  const refused: string[] = [];
  for (const topic of topics) {
    const use = classifyTopic(topic);
    if (use.kind === 'unusable') refused.push(`${topic}: ${use.reason}`);
    else if (use.kind === 'detail') refused.push(`${topic}: ${DETAIL_EVENT_REASON}`);
  }
  if (refused.length === 0) return;
  throw new ConfigError(
    `${refused.length === 1 ? 'A topic' : `${refused.length} topics`} cannot be derived from: ${refused.join('; ')}.`,
    {
      hint:
        'Remove them from the topics. Conversation lifecycles come from the aggregate conversation topics ' +
        '(v2.routing.queues.{id}.conversations, v2.users.{id}.conversations) or their per-media topics ' +
        '(….conversations.calls, .callbacks, .chats, .emails, .messages, .videos).',
    },
  );
}
