/**
 * Rendezvous (highest random weight) hashing: each shard goes to the member with the highest score for the pair.
 * When a member joins or leaves, only the shards it wins or held move; everything else stays where it is, so a
 * membership change costs the fewest hand-overs.
 */
import { createHash } from 'node:crypto';

/** The score of one (member, shard) pair: the first 8 bytes of a SHA-256 of both. */
export function rendezvousScore(member: string, shard: string): bigint {
  return createHash('sha256').update(`${member}\u0000${shard}`).digest().readBigUInt64BE(0);
}

/** The member a shard belongs to; undefined without members. Ties (practically impossible) go to the lower id. */
export function rendezvousOwner(shard: string, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const member of members) {
    const score = rendezvousScore(member, shard);
    if (score > bestScore || (score === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/** Where every shard belongs among the members. */
export function placeShards(shards: readonly string[], members: readonly string[]): Map<string, string> {
  const placement = new Map<string, string>();
  for (const shard of shards) {
    const owner = rendezvousOwner(shard, members);
    if (owner !== undefined) placement.set(shard, owner);
  }
  return placement;
}
