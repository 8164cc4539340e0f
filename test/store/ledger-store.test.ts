import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type LedgerStore, ledgerOf, type NewLedgerEntry, openSqliteStore } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = '2025-01-15T12:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

function entry(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
  return {
    key: 'rule-a|contact-1|event-1',
    ruleId: 'rule-a',
    customerId: 'contact-1',
    triggerKind: 'event',
    triggerId: 'event-1',
    status: 'sending',
    claimedAt: T0,
    createdAt: T0,
    ...overrides,
  };
}

function openLedger(name: string): { ledger: LedgerStore; close: () => Promise<void> } {
  const store = openSqliteStore({ path: join(dir, name) });
  return { ledger: ledgerOf(store), close: () => store.close() };
}

describe('SqliteLedgerStore', () => {
  it('claims a key once, also after a close and reopen', async () => {
    const path = 'once.db';
    const first = openLedger(path);
    const claimed = await first.ledger.claimNew(entry({ channel: 'sms', toAddress: '+14045550123' }));
    assert.equal(claimed.outcome, 'claimed');
    const again = await first.ledger.claimNew(entry());
    assert.equal(again.outcome, 'duplicate');
    await first.close();

    const second = openLedger(path);
    const afterRestart = await second.ledger.claimNew(entry());
    assert.equal(afterRestart.outcome, 'duplicate');
    assert.ok(afterRestart.outcome === 'duplicate');
    assert.equal(afterRestart.existing.status, 'sending');
    assert.equal(afterRestart.existing.toAddress, '+14045550123');
    assert.deepEqual(
      (await second.ledger.listInDoubt()).map((e) => e.key),
      ['rule-a|contact-1|event-1'],
    );
    await second.close();
  });

  it('applies cooldown, pending and daily-cap guards in the claim', async () => {
    const { ledger, close } = openLedger('guards.db');
    const first = await ledger.claimNew(entry());
    assert.ok(first.outcome === 'claimed');
    // Still in doubt: another trigger of the same rule and customer must wait.
    const pending = await ledger.claimNew(entry({ key: 'k2', triggerId: 'event-2', claimedAt: at(1) }));
    assert.equal(pending.outcome, 'pending');

    await ledger.update(first.entry.id, { status: 'sent', sentAt: T0, updatedAt: at(1) }, ['sending']);
    const cooled = await ledger.claimNew(entry({ key: 'k2', triggerId: 'event-2', claimedAt: at(10) }), {
      cooldownSince: at(-60),
    });
    assert.equal(cooled.outcome, 'cooldown');
    const outsideCooldown = await ledger.claimNew(
      entry({ key: 'k2', triggerId: 'event-2', claimedAt: at(10) }),
      {
        cooldownSince: at(5),
      },
    );
    assert.equal(outsideCooldown.outcome, 'claimed');

    // Another rule, same customer: two contacted entries now, a cap of 2 per day refuses a third.
    const capped = await ledger.claimNew(
      entry({ key: 'k3', ruleId: 'rule-b', triggerId: 'event-3', claimedAt: at(20) }),
      { cap: { since: at(-1440), max: 2 } },
    );
    assert.deepEqual(capped, { outcome: 'cap', count: 2 });
    assert.equal(await ledger.countContacted('contact-1', at(-1)), 2);
    assert.equal(await ledger.countContacted('contact-1', at(-1), 'rule-b'), 0);
    await close();
  });

  it('claims a deferred entry only from the expected status, and logs every status', async () => {
    const { ledger, close } = openLedger('deferred.db');
    const recorded = await ledger.record(
      entry({ status: 'deferred', dueAt: at(60), reasonCode: 'quiet_hours', claimedAt: undefined }),
    );
    assert.ok(recorded.outcome === 'claimed');
    const id = recorded.entry.id;
    assert.deepEqual(await ledger.listDue(at(30), ['deferred']), []);
    const due = await ledger.listDue(at(60), ['deferred']);
    assert.deepEqual(
      due.map((e) => e.id),
      [id],
    );

    const claim = await ledger.claimExisting(id, ['deferred'], { claimedAt: at(60), updatedAt: at(60) });
    assert.equal(claim.outcome, 'claimed');
    const second = await ledger.claimExisting(id, ['deferred'], { claimedAt: at(61), updatedAt: at(61) });
    assert.equal(second.outcome, 'moved');
    const sent = await ledger.update(
      id,
      { status: 'sent', conversationId: 'c-1', messageId: 'm-1', sentAt: at(60), updatedAt: at(60) },
      ['sending'],
    );
    assert.equal(sent?.status, 'sent');
    assert.equal(await ledger.update(id, { status: 'failed', updatedAt: at(62) }, ['sending']), undefined);

    const history = await ledger.events(id);
    assert.deepEqual(
      history.map((e) => e.status),
      ['deferred', 'sending', 'sent'],
    );
    assert.equal(history[0]?.reasonCode, 'quiet_hours');
    const listed = await ledger.list({ status: ['sent'] });
    assert.equal(listed[0]?.messageId, 'm-1');
    await close();
  });

  it('keeps context as JSON and filters listings', async () => {
    const { ledger, close } = openLedger('list.db');
    await ledger.record(
      entry({ status: 'skipped', reasonCode: 'opted_out', context: { trigger: { conversationId: 'c-9' } } }),
    );
    await ledger.record(entry({ key: 'other', customerId: 'contact-2', status: 'skipped' }));
    const mine = await ledger.list({ customerId: 'contact-1' });
    assert.equal(mine.length, 1);
    assert.deepEqual(mine[0]?.context, { trigger: { conversationId: 'c-9' } });
    assert.equal((await ledger.list({ ruleId: 'nope' })).length, 0);
    assert.equal((await ledger.getByKey('other'))?.customerId, 'contact-2');
    await close();
  });
});
