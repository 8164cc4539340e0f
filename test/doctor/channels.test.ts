/**
 * Channels: doctor creates none unless asked; with --probe-topics it creates exactly one, only while the client
 * holds at most 18, subscribes the plan's topics there, takes the platform's verdict per topic, and reports the
 * channel it leaves behind (the platform has no DELETE).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { createPlatformClient } from '../../src/platform/index.js';
import { check, DEMO, doctor, quietEmulator } from './helpers.js';

const NO_USER_TOPICS = {
  clientId: 'queues-only',
  clientSecret: 'secret',
  permissions: ['routing:queue:view', 'analytics:conversationDetail:view'],
};
const BUSY = { clientId: 'busy', clientSecret: 'secret', permissions: ['*'] };
const FULL_HOUSE = { clientId: 'full-house', clientSecret: 'secret', permissions: ['*'] };

/** Channels the emulator holds for a client, across its tokens. */
function channelsOf(emulator: Emulator, clientId: string): string[] {
  return [...emulator.hub.channels.all()].filter((c) => c.owner.clientId === clientId).map((c) => c.id);
}

/** Makes `n` channels for a client with a token of its own, as another process of the same client would. */
async function holdChannels(
  emulator: Emulator,
  client: { clientId: string; clientSecret: string },
  n: number,
) {
  const other = createPlatformClient({ region: emulator.url, ...client });
  try {
    for (let i = 0; i < n; i++)
      await other.request({ method: 'POST', path: '/api/v2/notifications/channels' });
  } finally {
    await other.close();
  }
}

describe('doctor: notification channels and the topic probe', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await quietEmulator([NO_USER_TOPICS, BUSY, FULL_HOUSE]);
  });
  after(() => emulator.stop());

  it('--probe-topics creates one channel, subscribes the topics, and reports the channel it leaves', async () => {
    const report = await doctor(emulator, DEMO, { queues: 'all', users: 'all' }, true);
    const held = channelsOf(emulator, DEMO.clientId);
    assert.equal(held.length, 1);
    assert.deepEqual(
      report.leftBehind.map((c) => c.id),
      held,
    );
    const probe = check(report, 'topic-probe');
    assert.equal(probe.status, 'pass');
    assert.match(probe.detail, new RegExp(`Left behind: channel ${held[0]}.*24 hours`));
    assert.match(check(report, 'topics').detail, /v2\.users\.\{id\}\.conversations: permitted \(subscribed/);
    assert.equal(report.ok, true);
  });

  it('on the probe channel, the platform’s rejection names the missing topic permission', async () => {
    const report = await doctor(emulator, NO_USER_TOPICS, { queues: 'all', users: 'all' }, true);
    const topics = check(report, 'topics');
    assert.equal(topics.status, 'fail');
    assert.match(topics.detail, /v2\.routing\.queues\.\{id\}\.conversations: permitted/);
    assert.match(topics.detail, /v2\.users\.\{id\}\.conversations: rejected on the probe channel/);
    assert.match(topics.fix ?? '', /permission conversation:communication:view/);
  });

  it('with 19 channels held, --probe-topics creates none and says why', async () => {
    await holdChannels(emulator, BUSY, 19);
    const report = await doctor(emulator, BUSY, { queues: 'all' }, true);
    assert.equal(channelsOf(emulator, BUSY.clientId).length, 19, 'no 20th channel');
    const probe = check(report, 'topic-probe');
    assert.equal(probe.status, 'warn');
    assert.match(probe.detail, /Not created: the client holds 19 channels/);
    assert.deepEqual(report.leftBehind, []);
    assert.match(check(report, 'channels').detail, /holds 19 of its 20 channels/);
  });

  it('a client whose 20 channels are taken gets a warning that starting would evict one', async () => {
    await holdChannels(emulator, FULL_HOUSE, 20);
    const report = await doctor(emulator, FULL_HOUSE, { queues: 'all' });
    const channels = check(report, 'channels');
    assert.equal(channels.status, 'warn');
    assert.match(channels.detail, /already holds 20 channel\(s\)/);
    assert.match(channels.detail, /evicts the least recently used/);
    assert.equal(channelsOf(emulator, FULL_HOUSE.clientId).length, 20, 'doctor made no channel');
  });
});
