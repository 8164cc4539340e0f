/**
 * Re-discovery against the emulator, over the real platform client, when subscribing fails: a topic change one
 * channel cannot take is not recorded as done, does not hold up the changes other channels can take, and is applied
 * once the platform accepts it again — without the org changing any further.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { OrgQueue } from '../../src/emulator/world/org.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { StreamStatus } from '../../src/stream/status.js';
import { queueTopic } from '../../src/stream/topics.js';
import { WebSocketSource } from '../../src/stream/websocket-source.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const newQueue = (n: number): OrgQueue => ({
  id: `dddddddd-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name: `Opened today ${n}`,
  description: 'a queue created while the stream runs',
  memberIds: [],
  dateCreated: Date.now(),
});

/** The topics the emulator has subscribed on one channel. */
function topicsOn(emulator: Emulator, channelId: string): string[] {
  const channel = [...emulator.hub.channels.all()].find((c) => c.id === channelId);
  return channel ? [...channel.topics.keys()].map((t) => t.toLowerCase()) : [];
}

/** Topics subscribed on any channel of the emulator. */
function subscribedAnywhere(emulator: Emulator): Set<string> {
  return new Set(
    [...emulator.hub.channels.all()].flatMap((c) => [...c.topics.keys()].map((t) => t.toLowerCase())),
  );
}

const FAULTS = 1_000_000;

async function rig() {
  const emulator = await startEmulator({
    port: 0,
    queues: 4,
    agents: 4,
    historyDays: 0,
    conversationsPerMinute: 0,
    heartbeatIntervalMs: 200,
    seed: 5,
  });
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
  });
  const statuses: StreamStatus[] = [];
  const source = new WebSocketSource({
    port: createNotificationsPort(client),
    selection: { queues: 'all' },
    // Three topics a channel: the org's four queues take channel 0 (three) and channel 1 (one).
    plan: { topicsPerChannel: 3 },
    rediscoverEveryMs: 50,
    timing: {
      heartbeatIntervalMs: 200,
      backoff: { initialDelayMs: 10, maxDelayMs: 50 },
      subscribeAttempts: 2,
    },
  });
  source.pool.on('*', (s) => statuses.push(s));
  cleanups.push(async () => {
    await source.stop();
    await client.close();
    await emulator.stop();
  });
  await source.start();
  return { emulator, source, statuses, queues: emulator.world!.org.queues };
}

describe('Topic re-discovery when subscribing fails', () => {
  it('retries a change a channel could not take, without holding up the other channels', async () => {
    const r = await rig();
    const channels = r.source.pool.channels();
    assert.equal(channels.size, 2);
    const second = channels.get(1)!.id;
    r.emulator.faults.failRequests({
      pathPattern: `/channels/${second}/subscriptions$`,
      method: 'PUT',
      status: 503,
      count: FAULTS,
    });

    // A queue opens; its topic joins channel 1, whose subscriptions the platform keeps refusing.
    const refused = newQueue(1);
    r.queues.push(refused);
    await waitFor(
      () => r.statuses.some((s) => s.type === 'error' && /subscriptions/.test(s.error.message)),
      'a refused subscription to be reported',
    );
    assert.ok(!topicsOn(r.emulator, second).includes(queueTopic(refused.id)));

    // Two more queues open: one fills channel 1 (still refused), the other needs a new channel, which works.
    const filling = newQueue(2);
    const onNewChannel = newQueue(3);
    r.queues.push(filling, onNewChannel);
    await waitFor(
      () => subscribedAnywhere(r.emulator).has(queueTopic(onNewChannel.id)),
      'the queue on a new channel to be subscribed while channel 1 still fails',
    );

    // Channel 1 keeps being tried: more refusals than one change's attempts (2, each retried once by the client).
    const refusals = () => FAULTS - r.emulator.status().pendingRequestFaults;
    const sofar = refusals();
    await waitFor(
      () => refusals() >= sofar + 5,
      'channel 1 to be tried again, though the org did not change',
    );

    // The platform accepts subscriptions again: channel 1's share is applied, with no further change in the org.
    r.emulator.faults.clearRequestFaults();
    await waitFor(
      () =>
        topicsOn(r.emulator, second).includes(queueTopic(refused.id)) &&
        topicsOn(r.emulator, second).includes(queueTopic(filling.id)),
      "channel 1's refused topics to be subscribed once the platform accepts them",
    );
    const covered = subscribedAnywhere(r.emulator);
    for (const queue of r.queues) assert.ok(covered.has(queueTopic(queue.id)), `${queue.name} is covered`);
    assert.equal(r.source.pool.health().channels.length, 3);
  });
});
