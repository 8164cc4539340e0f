import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { runReplicasCommand } from '../../../src/cli/commands/replicas.js';
import { NatsCoordinationKv } from '../../../src/cluster/coordination-kv.js';
import { ConfigError } from '../../../src/errors.js';

const NATS_URL = process.env.SWITCHBOARD_TEST_NATS ?? 'nats://127.0.0.1:4222';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('switchboard replicas', () => {
  const bucket = `sbview-${randomBytes(3).toString('hex')}`;
  const connectionPromise = connect({ servers: NATS_URL.replace(/^nats:\/\//, '') });

  after(async () => {
    const connection = await connectionPromise;
    const manager = await jetstreamManager(connection);
    for (const name of [`KV_${bucket}-leases`, `KV_${bucket}-channels`])
      await manager.streams.delete(name).catch(() => false);
    await connection.close();
  });

  it('shows members, shard owners with epochs, the move and the spare permits, without creating anything', async () => {
    const connection = await connectionPromise;
    const leases = await NatsCoordinationKv.open(connection, { bucket: `${bucket}-leases`, ttlMs: 60_000 });
    const channels = await NatsCoordinationKv.open(connection, { bucket: `${bucket}-channels`, ttlMs: 0 });
    await leases.put('member.r1', { id: 'r1', shards: ['0', '2'], at: new Date().toISOString() });
    await leases.put('member.r2', { id: 'r2', shards: ['1'], at: new Date().toISOString() });
    const epoch = await leases.create('shard.0', { owner: 'r1' });
    assert.ok(epoch !== undefined, 'the shard lease was created');
    await leases.update('shard.0', { owner: 'r1', epoch }, epoch);
    await leases.create('shard.1', { owner: 'r2', epoch: 3 });
    await leases.create('shard.2', { owner: 'r1', epoch: 4 });
    await channels.put('shard.0', { id: '0123456789abcdef', connectUri: 'wss://x/0123456789abcdef' });
    await leases.create('move', { shard: '1', from: 'r2', to: 'r1', phase: 'preparing' });
    await leases.create('spare.0', { owner: 'r1', purpose: 'take shard 1' });

    const out = capture();
    const members = await runReplicasCommand({ bus: NATS_URL, bucket }, out.stream);
    assert.equal(members, 2);
    const text = out.text();
    for (const line of [
      `replica set "${bucket}"`,
      'lease TTL 60000 ms',
      'members (2): r1 (shards 0, 2;',
      `shard 0: r1, epoch ${epoch}, channel 01234567…`,
      'shard 1: r2, epoch 3',
      'move: shard 1 from r2 to r1 (preparing)',
      'spare channel permits in use: spare.0 (r1, take shard 1)',
    ]) {
      assert.ok(text.includes(line), `the output has "${line}":\n${text}`);
    }
    assert.ok(!text.includes('0123456789abcdef'), 'the channel id (a secret) is not printed whole');

    const json = capture();
    await runReplicasCommand({ bus: NATS_URL, bucket, json: true }, json.stream);
    const view = JSON.parse(json.text()) as { shards: Array<{ shard: string; owner: string }> };
    assert.deepEqual(
      view.shards.map((s) => `${s.shard}:${s.owner}`),
      ['0:r1', '1:r2', '2:r1'],
    );
  });

  it('says so when there is no replica set under the bucket, and creates none', async () => {
    const missing = `${bucket}-absent`;
    await assert.rejects(
      runReplicasCommand({ bus: NATS_URL, bucket: missing }, capture().stream),
      (error: unknown) => error instanceof ConfigError && /No replica set/.test(error.message),
    );
    const connection = await connectionPromise;
    const manager = await jetstreamManager(connection);
    await assert.rejects(manager.streams.info(`KV_${missing}-leases`), 'no bucket was created');
  });
});
