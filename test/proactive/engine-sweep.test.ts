import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProactiveEngine } from '../../src/proactive/index.js';
import { type Harness, outbound, startHarness, testRules } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness({ seed: 606 });
});
after(() => h.stop());

const rules = testRules([
  {
    id: 'weekly',
    trigger: { schedule: { every: '1h', lookback: '7d' } },
    history: { minConversations: 2, withinDays: 10 },
    channels: ['webmessaging', 'open', 'sms'],
    message: { text: 'Hi {{contact.firstName | "there"}}' },
    policy: { quietHours: false },
  },
]);

describe('scheduled sweeps', () => {
  it('contacts each qualifying customer once, and keeps the ledger from growing with every window', async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({ rules, client: h.client, ledger, clock });

    const first = await engine.runOnce();
    const sent = first.decisions.filter((d) => d.status === 'sent');
    assert.ok(sent.length > 0);
    const sends = await outbound(h.emulator);
    assert.equal(sends.length, sent.length);
    assert.equal(new Set(sends.map((s) => s.externalContactId)).size, sends.length);
    // Every guest conversation and every other customer has its reason.
    const reasons = new Set(first.decisions.filter((d) => d.status === 'skipped').map((d) => d.reasonCode));
    assert.ok(reasons.has('anonymous_guest'));
    assert.ok(reasons.has('history_not_met'));
    const rowsAfterFirst = (await ledger.list({ limit: 10_000 })).length;
    assert.equal(rowsAfterFirst, first.decisions.length);

    // Same window again: nothing new is sent; skipped customers are looked at again, in the same entries.
    const same = await engine.runOnce();
    assert.equal(same.counts.sent, undefined);
    assert.equal(
      same.counts.duplicate,
      sent.length + (first.counts.skipped ?? 0) - (same.counts.skipped ?? 0),
    );
    assert.equal((await ledger.list({ limit: 10_000 })).length, rowsAfterFirst);

    // Next window: the cooldown holds those contacted; one skip entry per customer and rule, however many windows.
    offset = 3_600_000;
    const next = await engine.runOnce();
    assert.equal(next.counts.sent, undefined);
    assert.equal(next.decisions.filter((d) => d.reasonCode === 'cooldown').length, sent.length);
    const rows = await ledger.list({ limit: 10_000 });
    assert.equal(rows.length, rowsAfterFirst + sent.length);
    const skipKeys = rows.filter((r) => r.key.endsWith('|sweep-skips')).map((r) => r.customerId);
    assert.equal(new Set(skipKeys).size, skipKeys.length);
    assert.equal((await outbound(h.emulator)).length, sends.length);
  });
});
