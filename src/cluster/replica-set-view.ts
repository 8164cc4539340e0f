/**
 * The replica set as the coordination store holds it, for operators: who is alive, who owns which shard under which
 * epoch, the move under way and the spare channel permits in use. Read-only; nothing is created or renewed.
 */
import type { CoordinationKv } from './coordination-kv.js';

export interface ReplicaSetView {
  leaseTtlMs: number;
  members: Array<{ id: string; shards: string[]; seenAt: string | undefined }>;
  shards: Array<{
    shard: string;
    owner: string;
    epoch: number | undefined;
    revision: number;
    channel?: string;
  }>;
  move: { shard: string; from: string; to: string; phase: string } | undefined;
  spares: Array<{ permit: string; owner: string; purpose: string | undefined }>;
}

interface MemberValue {
  id?: string;
  shards?: string[];
  at?: string;
}

/** Reads the whole picture from the leases bucket (and the channels bucket, for each shard's channel). */
export async function readReplicaSet(
  leases: CoordinationKv,
  channels: CoordinationKv | undefined,
): Promise<ReplicaSetView> {
  const members: ReplicaSetView['members'] = [];
  for (const key of (await leases.keys('member.')).sort()) {
    const record = await leases.get<MemberValue>(key);
    if (!record) continue;
    members.push({
      id: key.slice('member.'.length),
      shards: record.value.shards ?? [],
      seenAt: record.value.at,
    });
  }
  const shards: ReplicaSetView['shards'] = [];
  const shardKeys = (await leases.keys('shard.')).sort(
    (a, b) => Number(a.slice(6)) - Number(b.slice(6)) || a.localeCompare(b),
  );
  for (const key of shardKeys) {
    const record = await leases.get<{ owner: string; epoch?: number }>(key);
    if (!record) continue;
    const channel = await channels?.get<{ id?: string }>(key).catch(() => undefined);
    shards.push({
      shard: key.slice('shard.'.length),
      owner: record.value.owner,
      epoch: record.value.epoch,
      revision: record.revision,
      // The channel id is the channel's secret: only its first characters are shown.
      ...(channel?.value.id ? { channel: `${channel.value.id.slice(0, 8)}…` } : {}),
    });
  }
  const move = (await leases.get<ReplicaSetView['move'] & object>('move'))?.value;
  const spares: ReplicaSetView['spares'] = [];
  for (const key of (await leases.keys('spare.')).sort()) {
    const record = await leases.get<{ owner: string; purpose?: string }>(key);
    if (record) spares.push({ permit: key, owner: record.value.owner, purpose: record.value.purpose });
  }
  return { leaseTtlMs: leases.ttlMs, members, shards, move, spares };
}

/** The view as lines for a terminal. */
export function formatReplicaSet(view: ReplicaSetView, now = Date.now()): string[] {
  const ago = (at: string | undefined) => {
    const ms = at ? now - Date.parse(at) : Number.NaN;
    return Number.isFinite(ms) ? `seen ${(Math.max(0, ms) / 1000).toFixed(1)} s ago` : 'not seen';
  };
  const lines = [`lease TTL ${view.leaseTtlMs} ms`];
  lines.push(
    view.members.length === 0
      ? 'members: none alive'
      : `members (${view.members.length}): ${view.members
          .map(
            (m) =>
              `${m.id} (${m.shards.length > 0 ? `shards ${m.shards.join(', ')}` : 'no shard'}; ${ago(m.seenAt)})`,
          )
          .join(', ')}`,
  );
  if (view.shards.length === 0) lines.push('shards: none owned');
  for (const shard of view.shards) {
    lines.push(
      `shard ${shard.shard}: ${shard.owner}, epoch ${shard.epoch ?? shard.revision}${shard.channel ? `, channel ${shard.channel}` : ''}`,
    );
  }
  lines.push(
    view.move
      ? `move: shard ${view.move.shard} from ${view.move.from} to ${view.move.to} (${view.move.phase})`
      : 'move: none',
  );
  lines.push(
    view.spares.length === 0
      ? 'spare channel permits in use: none'
      : `spare channel permits in use: ${view.spares.map((s) => `${s.permit} (${s.owner}${s.purpose ? `, ${s.purpose}` : ''})`).join(', ')}`,
  );
  return lines;
}
