import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorld, ManualClock } from '../../../src/emulator/world/index.js';

const NOW = Date.UTC(2025, 5, 2, 8, 0, 0);
const DAY = 86_400_000;

describe('seeded history', () => {
  const published: string[] = [];
  const world = createWorld(
    { seed: 12, historyDays: 10, historyConversationsPerDay: 60, agents: 8, queues: 3, contacts: 40 },
    { publish: (topic) => published.push(topic) },
    new ManualClock(NOW),
  );
  const all = world.conversations.startedBetween(0, NOW + DAY);

  it('spreads ended conversations of every channel over the history days, before now', () => {
    assert.ok(all.length >= 600, `about 60 a day for 10 days (${all.length})`);
    for (const c of all) {
      assert.equal(c.origin, 'history');
      assert.ok(c.startTime >= NOW - 10 * DAY);
      assert.ok(c.endTime !== undefined && c.endTime < NOW, 'every past conversation has ended');
    }
    const channels = new Set(all.map((c) => c.channel));
    assert.deepEqual([...channels].sort(), [
      'callback',
      'email',
      'open',
      'sms',
      'voice',
      'webmessaging',
      'whatsapp',
    ]);
    const days = new Set(all.map((c) => Math.floor((NOW - c.startTime) / DAY)));
    assert.ok(days.size >= 10);
  });

  it('has several authenticated web messaging conversations for each returning customer, and anonymous guests', () => {
    const webMessaging = all.filter((c) => c.channel === 'webmessaging');
    for (const contactId of world.org.returningWebMessagingContactIds) {
      const visits = webMessaging.filter((c) =>
        c.participants.some((p) => p.purpose === 'customer' && p.externalContactId === contactId),
      );
      assert.ok(visits.length >= 3, `returning customer has ${visits.length} visits`);
    }
    const guests = webMessaging.filter((c) =>
      c.participants.some((p) => p.purpose === 'customer' && p.externalContactId === undefined),
    );
    assert.ok(guests.length > 10, 'anonymous guests have no externalContactId');
  });

  it('is neither published nor part of ground truth, and is the same for the same seed', () => {
    assert.deepEqual(published, []);
    assert.deepEqual(world.groundTruth(), []);
    const again = createWorld(
      { seed: 12, historyDays: 10, historyConversationsPerDay: 60, agents: 8, queues: 3, contacts: 40 },
      { publish: () => {} },
      new ManualClock(NOW),
    );
    const ids = (w: typeof world) => w.conversations.startedBetween(0, NOW + DAY).map((c) => c.id);
    assert.deepEqual(ids(again), ids(world));
  });
});
