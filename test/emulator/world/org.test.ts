import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateOrg } from '../../../src/emulator/world/org.js';
import { Random } from '../../../src/emulator/world/random.js';
import { resolveSettings } from '../../../src/emulator/world/settings.js';

const E164 = /^\+[1-9][0-9]{6,14}$/;
const created = Date.UTC(2025, 0, 1);

function orgFor(seed: number, extra = {}) {
  const settings = resolveSettings({ seed, ...extra });
  return generateOrg(settings, new Random(settings.seed), created);
}

describe('generateOrg', () => {
  it('is the same for the same seed and different for another', () => {
    const strip = (o: ReturnType<typeof orgFor>) =>
      JSON.stringify({ u: o.users, q: o.queues, w: o.wrapupCodes, c: o.contacts, s: o.smsNumbers });
    assert.equal(strip(orgFor(5)), strip(orgFor(5)));
    assert.notEqual(strip(orgFor(5)), strip(orgFor(6)));
  });

  it('gives every queue members and every agent a queue, with unique ids and names', () => {
    const org = orgFor(11, { agents: 12, queues: 4 });
    assert.equal(org.users.length, 12);
    assert.equal(org.queues.length, 4);
    for (const queue of org.queues) assert.ok(queue.memberIds.length >= 2, `${queue.name} has members`);
    for (const user of org.users) {
      assert.ok(user.queueIds.length >= 1);
      assert.match(user.email, /^[a-z.]+@example\.com$/);
    }
    const ids = [...org.users, ...org.queues, ...org.wrapupCodes, ...org.contacts].map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(org.users.map((u) => u.name)).size, org.users.length);
  });

  it('makes reachable contacts with E.164 numbers, time zones and some opted out', () => {
    const org = orgFor(3, { contacts: 80 });
    assert.equal(org.contacts.length, 80);
    assert.equal(new Set(org.contacts.map((c) => c.phone)).size, 80, 'phone numbers are unique');
    for (const c of org.contacts) {
      assert.match(c.phone, E164);
      if (c.whatsAppNumber) assert.match(c.whatsAppNumber, E164);
      assert.match(c.timeZone, /^[A-Z][a-z]+\/[A-Za-z_]+$/);
    }
    assert.ok(org.contacts.some((c) => c.optedOut));
    assert.ok(org.contacts.some((c) => !c.optedOut));
    assert.ok(org.contacts.some((c) => c.whatsAppNumber));
    assert.ok(org.contacts.some((c) => c.openMessagingId));
    for (const n of org.smsNumbers) assert.match(n.phoneNumber, E164);
    assert.match(org.whatsappIntegration.phoneNumber ?? '', E164);
  });

  it('names returning web messaging customers who can be reached, one of them opted out', () => {
    const org = orgFor(3, { contacts: 60 });
    assert.ok(org.returningWebMessagingContactIds.length >= 3);
    const returning = org.returningWebMessagingContactIds.map((id) => org.contactById.get(id)!);
    for (const c of returning) assert.ok(c.whatsAppNumber || c.openMessagingId);
    assert.ok(returning.some((c) => c.optedOut));
    assert.ok(returning.some((c) => !c.optedOut));
  });

  it('rejects settings that cannot work', () => {
    assert.throws(() => resolveSettings({ agents: 0 }), /agents/);
    assert.throws(() => resolveSettings({ queues: 9, agents: 3 }), /queues/);
    assert.throws(() => resolveSettings({ timeScale: -1 }), /timeScale/);
  });
});
