/**
 * Topic names of the conversation topics Switchboard subscribes to, and the ids they carry. Topic names are
 * compared case-insensitively everywhere, so they are kept in lower case.
 */

/** Longest topic name the platform accepts (including the combined `prefix?a&b` form). */
export const MAX_TOPIC_LENGTH = 200;

// The aggregate topic or one of its per-media topics (`….conversations.calls`, `.messages`, …): both follow the same
// queue's or user's conversations, so a gap on either is searched by that queue or user.
const QUEUE_TOPIC = /^v2\.routing\.queues\.([^.]+)\.conversations(?:\.[a-z]+)?$/;
const USER_TOPIC = /^v2\.users\.([^.]+)\.conversations(?:\.[a-z]+)?$/;

/** The aggregate conversation topic of a queue. */
export function queueTopic(queueId: string): string {
  return `v2.routing.queues.${queueId}.conversations`.toLowerCase();
}

/** The aggregate conversation topic of a user. */
export function userTopic(userId: string): string {
  return `v2.users.${userId}.conversations`.toLowerCase();
}

/** What a conversation topic is about: a queue, a user, or something else. */
export type TopicSubject = { kind: 'queue'; id: string } | { kind: 'user'; id: string } | { kind: 'other' };

/** Reads the queue or user id out of a conversation topic, aggregate or per-media. */
export function topicSubject(topic: string): TopicSubject {
  const lower = topic.toLowerCase();
  const queue = QUEUE_TOPIC.exec(lower);
  if (queue) return { kind: 'queue', id: queue[1]! };
  const user = USER_TOPIC.exec(lower);
  if (user) return { kind: 'user', id: user[1]! };
  return { kind: 'other' };
}

/** Why a topic cannot be subscribed at all, or undefined when it can. */
export function topicProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'empty topic name';
  if (topic.length > MAX_TOPIC_LENGTH) return `longer than ${MAX_TOPIC_LENGTH} characters`;
  const lower = topic.toLowerCase();
  if (lower === 'channel.metadata' || lower.startsWith('v2.system.')) {
    return 'channel.metadata and v2.system.* arrive unasked and must not be subscribed';
  }
  if (/\s/.test(topic)) return 'contains whitespace';
  return undefined;
}
