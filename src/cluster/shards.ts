/**
 * Topics split into a fixed number of shards by a stable hash of the topic name, so every replica computes the
 * same split from the same discovery, and a topic stays in its shard as queues and users come and go. One shard is
 * served by one notification channel, so a shard holds at most the platform's 1,000 topics per channel.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** The platform's limit of topics on one channel. */
export const TOPICS_PER_SHARD = 1000;

/** The ids of `count` shards: `0`, `1`, … */
export function shardIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(index));
}

/** The shard of one topic (topic names match case-insensitively on the platform). */
export function shardOfTopic(topic: string, count: number): string {
  const digest = createHash('sha256').update(topic.toLowerCase()).digest();
  return String(digest.readUInt32BE(0) % count);
}

/** Splits topics into `count` shards; throws a ConfigError when one shard would exceed a channel's limit. */
export function splitTopics(topics: Iterable<string>, count: number): Map<string, string[]> {
  const shards = new Map(shardIds(count).map((id) => [id, [] as string[]]));
  for (const topic of topics) shards.get(shardOfTopic(topic, count))!.push(topic);
  for (const [id, list] of shards) {
    list.sort();
    if (list.length > TOPICS_PER_SHARD) {
      throw new ConfigError(
        `Shard ${id} would hold ${list.length} topics; one notification channel takes at most ${TOPICS_PER_SHARD}.`,
        {
          hint: 'Raise cluster.shards so that every shard stays under 1,000 topics (aim for 700 to leave room).',
        },
      );
    }
  }
  return shards;
}
