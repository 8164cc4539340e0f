/**
 * The notification topics the emulator knows, and what each family requires.
 *
 * Permission table (a client's role permissions decide; `*` wildcards are honoured):
 *
 * | topic family                                         | needs                                              |
 * |------------------------------------------------------|----------------------------------------------------|
 * | `v2.routing.queues.{id}.conversations[.<media>]`     | `routing:queue:view`                               |
 * | `v2.users.{id}.conversations[.<media>]`              | the user themself, or `conversation:communication:view` |
 * | `v2.users.{id}.presence`                             | the user themself, or `presence:userPresence:view` |
 * | `v2.users.{id}.routingStatus`                        | the user themself, or `routing:agent:view`         |
 * | `v2.detail.events.conversation.{id}.<event>`         | `analytics:conversationDetail:view`                |
 * | `v2.analytics.queues.{id}.observations`              | `analytics:queueObservation:view`                  |
 *
 * `<media>` is one of calls, callbacks, chats, cobrowseSessions, emails, messages, screenshares,
 * socialexpressions, videos (the world publishes calls, callbacks, emails and messages, in the flattened per-media
 * shape, to the channels subscribed). `channel.metadata` and `v2.system.*` are sent by the platform and cannot be
 * subscribed to. The combined form `prefix?suffixA&suffixB` expands to `prefix.suffixA`, `prefix.suffixB`.
 */
import { hasAnyPermission } from '../auth/permissions.js';

/** One family of topics: a template with `{id}` placeholders and what subscribing to it requires. */
export interface TopicFamily {
  template: string;
  description: string;
  /** Permissions of which the caller needs at least one. */
  permissions: string[];
  /** When true, a user-context caller whose user id equals `{id}` needs no permission. */
  currentUserOrPermission: boolean;
  pattern: RegExp;
}

/** Per-media topic suffixes, spelled as the platform's definitions spell them (topics match case-insensitively). */
const MEDIA = [
  'calls',
  'callbacks',
  'chats',
  'cobrowseSessions',
  'emails',
  'messages',
  'screenshares',
  'socialexpressions',
  'videos',
];

const DETAIL_EVENTS = [
  'customer.start',
  'customer.end',
  'flow.start',
  'flow.end',
  'acd.start',
  'acd.end',
  'user.start',
  'user.end',
  'acw',
  'wrapup',
  'outbound',
  'attributes',
  'contact',
  'voicemail.start',
  'voicemail.end',
];

function family(
  template: string,
  description: string,
  permissions: string[],
  currentUserOrPermission = false,
): TopicFamily {
  const source = template
    .split('{id}')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('([^.?&\\s]+)');
  return {
    template,
    description,
    permissions,
    currentUserOrPermission,
    pattern: new RegExp(`^${source}$`, 'i'),
  };
}

function buildCatalogue(): TopicFamily[] {
  const queue = ['routing:queue:view'];
  const userConversations = ['conversation:communication:view'];
  const families: TopicFamily[] = [
    family(
      'v2.routing.queues.{id}.conversations',
      'Whole-conversation snapshots for conversations routed through a queue',
      queue,
    ),
    family(
      'v2.users.{id}.conversations',
      "Whole-conversation snapshots for a user's conversations",
      userConversations,
      true,
    ),
  ];
  for (const media of MEDIA) {
    families.push(
      family(`v2.routing.queues.{id}.conversations.${media}`, `Queue conversations, ${media} only`, queue),
    );
    families.push(
      family(
        `v2.users.{id}.conversations.${media}`,
        `User conversations, ${media} only`,
        userConversations,
        true,
      ),
    );
  }
  families.push(
    family('v2.users.{id}.presence', "A user's presence", ['presence:userPresence:view'], true),
    family('v2.users.{id}.routingStatus', "A user's routing status", ['routing:agent:view'], true),
    family('v2.analytics.queues.{id}.observations', 'Queue observation metrics', [
      'analytics:queueObservation:view',
    ]),
  );
  for (const event of DETAIL_EVENTS) {
    families.push(
      family(`v2.detail.events.conversation.{id}.${event}`, `Conversation detail event ${event}`, [
        'analytics:conversationDetail:view',
      ]),
    );
  }
  return families;
}

/** Every topic family the emulator accepts. */
export const TOPIC_CATALOGUE: readonly TopicFamily[] = buildCatalogue();

/** Why a topic cannot be subscribed to. */
export type TopicRejection =
  | { kind: 'invalid'; reason: string }
  | { kind: 'permission'; reason: string; missingPermissions: string[] };

/** The verdict on one requested topic (already expanded from the combined form). */
export interface TopicVerdict {
  /** The topic as requested. */
  id: string;
  rejection?: TopicRejection;
}

/** Who subscribes: their permissions and, for user tokens, their user id. */
export interface Subscriber {
  permissions: ReadonlySet<string>;
  userId?: string;
}

/** Expands `prefix?a&b` into `prefix.a`, `prefix.b`; other names are returned as they are. */
export function expandTopic(name: string): string[] {
  const question = name.indexOf('?');
  if (question < 0) return [name];
  const prefix = name.slice(0, question);
  return name
    .slice(question + 1)
    .split('&')
    .map((suffix) => `${prefix}.${suffix}`);
}

/** Finds the family of a concrete topic and the value of its first `{id}`. */
export function findFamily(topic: string): { family: TopicFamily; id: string } | undefined {
  for (const candidate of TOPIC_CATALOGUE) {
    const match = candidate.pattern.exec(topic);
    if (match) return { family: candidate, id: match[1] ?? '' };
  }
  return undefined;
}

/** Judges one concrete topic for a subscriber. */
export function judgeTopic(topic: string, subscriber: Subscriber, maxLength: number): TopicVerdict {
  if (topic.length > maxLength) {
    return {
      id: topic,
      rejection: { kind: 'invalid', reason: `Topic name is longer than ${maxLength} characters` },
    };
  }
  const lower = topic.toLowerCase();
  if (lower === 'channel.metadata' || lower.startsWith('v2.system.')) {
    return {
      id: topic,
      rejection: {
        kind: 'invalid',
        reason: 'Topic is reserved for the platform and cannot be subscribed to',
      },
    };
  }
  const found = findFamily(topic);
  if (!found) return { id: topic, rejection: { kind: 'invalid', reason: 'Topic is not a known topic' } };
  const { family: topicFamily, id } = found;
  if (topicFamily.currentUserOrPermission && subscriber.userId !== undefined && subscriber.userId === id) {
    return { id: topic };
  }
  if (!hasAnyPermission(subscriber.permissions, topicFamily.permissions)) {
    return {
      id: topic,
      rejection: {
        kind: 'permission',
        reason: 'Missing permissions',
        missingPermissions: [...topicFamily.permissions],
      },
    };
  }
  return { id: topic };
}

/**
 * The `GET /api/v2/notifications/availabletopics` listing (`AvailableTopicEntityListing`). Like the platform, each
 * entry carries its id and flags; descriptions, permissions, transports and the rest only when `expand` asks.
 * `schema` and `permissionDetails` are never filled: the emulator has no topic schemas.
 */
export function availableTopics(expand: ReadonlySet<string> = new Set()): {
  entities: Record<string, unknown>[];
} {
  return {
    entities: TOPIC_CATALOGUE.map((topicFamily) => {
      const entry: Record<string, unknown> = {
        id: topicFamily.template,
        requiresCurrentUser: false,
        requiresCurrentUserOrPermission: topicFamily.currentUserOrPermission,
        requiresAnyValidator: false,
      };
      if (expand.has('description')) entry.description = topicFamily.description;
      if (expand.has('requiresPermissions')) entry.requiresPermissions = [...topicFamily.permissions];
      if (expand.has('enforced')) entry.enforced = true;
      if (expand.has('visibility')) entry.visibility = 'Public';
      if (expand.has('transports')) entry.transports = ['Websocket'];
      if (expand.has('topicParameters')) entry.topicParameters = ['id'];
      if (expand.has('publicApiTemplateUriPaths')) entry.publicApiTemplateUriPaths = [];
      return entry;
    }),
  };
}
