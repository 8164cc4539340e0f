/**
 * Malformed frames — bytes that are not JSON, JSON without an event body — which the emulator's hub, sending only
 * well-formed notifications, never produces: these run against the hand-written platform double
 * (helpers/fake-platform.ts), which sends whatever a test asks for. Every other test of a channel connection runs
 * against the emulator (channel-connection.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ChannelBudget } from '../../src/stream/channel-budget.js';
import { ChannelConnection } from '../../src/stream/channel-connection.js';
import type { Notification } from '../../src/stream/frames.js';
import { queueTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';
import { StatusLog } from './helpers/status-log.js';

const TOPICS = [queueTopic('q-a'), queueTopic('q-b'), queueTopic('q-c')];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A connection to the platform double, started. */
async function connected(): Promise<{
  platform: FakePlatform;
  connection: ChannelConnection;
  status: StatusLog;
  notifications: Notification[];
}> {
  const platform = await FakePlatform.start({ heartbeatIntervalMs: 20 });
  const status = new StatusLog();
  const notifications: Notification[] = [];
  const connection = new ChannelConnection({
    slot: 0,
    port: new HttpPort(platform.url),
    topics: TOPICS,
    budget: new ChannelBudget(3),
    onNotification: (n) => notifications.push(n),
    onStatus: status.push,
  });
  cleanups.push(async () => {
    await connection.stop();
    await platform.stop();
  });
  await connection.start();
  return { platform, connection, status, notifications };
}

describe('ChannelConnection: malformed frames', { timeout: 20_000 }, () => {
  it('counts malformed frames and carries on', async () => {
    const h = await connected();
    assert.equal(h.platform.channels.size, 1);
    const channel = [...h.platform.channels.values()][0]!;
    h.platform.sendRaw(channel, 'garbage');
    h.platform.sendRaw(channel, '{"topicName":"v2.users.u.conversations"}');
    h.platform.publish(TOPICS[0]!, { id: 'after' });
    await waitFor(() => h.notifications.length === 1, 'the good frame');
    assert.equal(h.connection.health().malformed, 2);
    assert.deepEqual(
      h.status.of('malformed').map((s) => s.reason),
      ['not JSON', 'eventBody is not an object'],
    );
  });
});
