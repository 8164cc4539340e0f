import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/emulator/world/index.js';
import { ProactiveEngine } from '../../src/proactive/index.js';
import { type Harness, outbound, startHarness, testRules } from './helpers.js';

// The emulated world and the engine share one clock: 12:00 UTC, inside quiet hours 11:00–13:00.
const START = Date.UTC(2025, 0, 15, 12, 0, 0);
const clock = new ManualClock(START);
let h: Harness;
before(async () => {
  h = await startHarness({ seed: 5, clock });
});
after(() => h.stop());

const rules = testRules(
  [
    {
      id: 'weekly',
      trigger: { schedule: { every: '1h', lookback: '7d' } },
      history: { minConversations: 2, withinDays: 10 },
      channels: ['open', 'sms'],
      message: { text: 'Hi {{contact.firstName | "there"}}' },
      policy: { quietHours: { start: '11:00', end: '13:00' } },
    },
  ],
  // Every customer in the org's time zone: an attribute path no contact has.
  { settings: { timeZone: 'UTC', contactAttributes: { timeZone: 'customFields.none' } } },
);

describe('quiet hours', () => {
  it('defers sends to the end of quiet hours in the ledger, then sends them once when due', async () => {
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({ rules, client: h.client, ledger, clock });

    const first = await engine.runOnce();
    const deferred = first.decisions.filter((d) => d.status === 'deferred');
    assert.ok(deferred.length > 0, 'some customers qualify');
    assert.equal(first.counts.sent, undefined);
    for (const decision of deferred) {
      assert.equal(decision.reasonCode, 'quiet_hours');
      assert.equal(decision.dueAt, '2025-01-15T13:00:00.000Z');
      assert.match(decision.reason ?? '', /quiet hours 11:00–13:00 in UTC/);
    }
    assert.equal((await outbound(h.emulator)).length, 0);

    // Still quiet: nothing is due, and a restarted engine finds the deferrals in the ledger, not in memory.
    clock.advance(30 * 60_000);
    const restarted = new ProactiveEngine({ rules, client: h.client, ledger: h.openLedger().ledger, clock });
    assert.deepEqual(await restarted.processDue(), []);
    assert.equal((await outbound(h.emulator)).length, 0);

    clock.advance(31 * 60_000);
    const due = await restarted.processDue();
    assert.equal(due.length, deferred.length);
    assert.ok(due.every((d) => d.status === 'sent'));
    const sends = await outbound(h.emulator);
    assert.equal(sends.length, deferred.length);
    assert.equal(new Set(sends.map((s) => s.externalContactId)).size, sends.length, 'one per customer');
    assert.ok(sends.every((s) => Date.parse(s.timestamp) >= Date.UTC(2025, 0, 15, 13, 0, 0)));

    // Due entries are not picked up twice, and the next sweep (a new window) meets the cooldown.
    assert.deepEqual(await restarted.processDue(), []);
    const next = await restarted.runOnce();
    assert.equal(next.counts.sent, undefined);
    assert.ok(next.decisions.some((d) => d.reasonCode === 'cooldown'));
    assert.equal((await outbound(h.emulator)).length, deferred.length);
  });
});
