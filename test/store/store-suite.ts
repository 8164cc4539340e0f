/**
 * Behaviours every store engine must show, run by each engine's test file: checkpoints (with fencing) and the
 * proactive ledger. `open(name)` opens the storage called `name`, the same one again on a second call.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CheckpointStore, LedgerStore, NewLedgerEntry } from '../../src/store/index.js';

export interface OpenedLedger {
  ledger: LedgerStore;
  close(): Promise<void>;
}

export type OpenLedger = (name: string, options?: { replicaId?: string }) => Promise<OpenedLedger>;
export type OpenCheckpoints = (name: string) => Promise<CheckpointStore & { close(): Promise<void> }>;

export const T0 = '2025-01-15T12:00:00.000Z';
export const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

export function entry(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
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

/** Checkpoint behaviours, fencing included. */
export function checkpointBehaviours(open: OpenCheckpoints): void {
  it('keeps checkpoints across a close and reopen', async () => {
    const first = await open('reopen');
    assert.equal(await first.putCheckpoint('deriver', { conversations: 3, at: [1, 2] }), true);
    assert.equal(await first.putCheckpoint('deriver', { conversations: 4, at: [1, 2] }), true);
    await first.close();
    const second = await open('reopen');
    const checkpoint = await second.getCheckpoint<{ conversations: number; at: number[] }>('deriver');
    assert.deepEqual(checkpoint?.value, { conversations: 4, at: [1, 2] });
    assert.match(checkpoint?.updatedAt ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(checkpoint?.epoch, undefined);
    await second.deleteCheckpoint('deriver');
    assert.equal(await second.getCheckpoint('deriver'), undefined);
    await second.close();
  });

  it('fences checkpoint writes by epoch: a higher epoch wins, a lower one writes nothing', async () => {
    const store = await open('fencing');
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'a' }, { epoch: 2 }), true);
    assert.equal((await store.getCheckpoint('shard-1'))?.epoch, 2);
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'stale' }, { epoch: 1 }), false);
    assert.deepEqual((await store.getCheckpoint('shard-1'))?.value, { owner: 'a' });
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'a', again: true }, { epoch: 2 }), true);
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'b' }, { epoch: 3 }), true);
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'a' }, { epoch: 2 }), false);
    // Unfenced: writes, and the epoch stays, so the stale owner is still refused afterwards.
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'unfenced' }), true);
    const unfenced = await store.getCheckpoint('shard-1');
    assert.deepEqual(unfenced?.value, { owner: 'unfenced' });
    assert.equal(unfenced?.epoch, 3);
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'a' }, { epoch: 2 }), false);
    // Epochs are revisions of a coordination store: beyond 32 bits.
    const big = 2 ** 40 + 7;
    assert.equal(await store.putCheckpoint('shard-2', 'text value', { epoch: big }), true);
    const second = await store.getCheckpoint<string>('shard-2');
    assert.equal(second?.epoch, big);
    assert.equal(second?.value, 'text value');
    // Other keys are not fenced by this one.
    assert.equal(await store.putCheckpoint('shard-3', { owner: 'c' }, { epoch: 1 }), true);
    await store.deleteCheckpoint('shard-1');
    assert.equal(await store.putCheckpoint('shard-1', { owner: 'fresh' }, { epoch: 1 }), true);
    await store.close();
  });
}

/** Ledger behaviours (the SQLite ledger's original tests, and what shared stores added). */
export function ledgerBehaviours(open: OpenLedger): void {
  it('claims a key once, also after a close and reopen', async () => {
    const first = await open('once');
    const claimed = await first.ledger.claimNew(entry({ channel: 'sms', toAddress: '+14045550123' }));
    assert.equal(claimed.outcome, 'claimed');
    const again = await first.ledger.claimNew(entry());
    assert.equal(again.outcome, 'duplicate');
    await first.close();

    const second = await open('once');
    const afterRestart = await second.ledger.claimNew(entry());
    assert.equal(afterRestart.outcome, 'duplicate');
    assert.ok(afterRestart.outcome === 'duplicate', 'a duplicate after the reopen');
    assert.equal(afterRestart.existing.status, 'sending');
    assert.equal(afterRestart.existing.toAddress, '+14045550123');
    assert.deepEqual(
      (await second.ledger.listInDoubt()).map((e) => e.key),
      ['rule-a|contact-1|event-1'],
    );
    await second.close();
  });

  it('applies cooldown, pending and daily-cap guards in the claim', async () => {
    const { ledger, close } = await open('guards');
    const first = await ledger.claimNew(entry());
    assert.ok(first.outcome === 'claimed', 'the first claim succeeds');
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
      { cooldownSince: at(5) },
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
    const { ledger, close } = await open('deferred');
    const recorded = await ledger.record(
      entry({ status: 'deferred', dueAt: at(60), reasonCode: 'quiet_hours', claimedAt: undefined }),
    );
    assert.ok(recorded.outcome === 'claimed', 'the deferred entry is recorded');
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
    assert.equal(history[0]?.at, T0);
    const listed = await ledger.list({ status: ['sent'] });
    assert.equal(listed[0]?.messageId, 'm-1');
    await close();
  });

  it('keeps context as JSON and filters listings', async () => {
    const { ledger, close } = await open('list');
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

  it('keeps every field and time exactly as written (ISO-8601 UTC with milliseconds)', async () => {
    const { ledger, close } = await open('fields', { replicaId: 'replica-a' });
    const written = {
      channel: 'sms',
      toAddress: '+14045550123',
      reasonCode: 'x',
      reason: 'why',
      dueAt: '2025-01-15T12:34:56.789Z',
      claimedAt: '2025-01-15T12:00:00.001Z',
      sentAt: '2025-01-15T12:00:01.999Z',
      conversationId: 'c-1',
      messageId: 'm-1',
      platformCode: 'p',
      correlationId: 'corr',
      context: { list: [1, 'two'], nested: { ok: true } },
    };
    const claimed = await ledger.claimNew(entry({ ...written, attempts: 2 }));
    assert.ok(claimed.outcome === 'claimed', 'claimed');
    const read = await ledger.get(claimed.entry.id);
    assert.deepEqual(read, claimed.entry);
    assert.deepEqual(read, {
      id: claimed.entry.id,
      key: 'rule-a|contact-1|event-1',
      ruleId: 'rule-a',
      customerId: 'contact-1',
      triggerKind: 'event',
      triggerId: 'event-1',
      status: 'sending',
      attempts: 2,
      createdAt: T0,
      updatedAt: T0,
      claimedBy: 'replica-a',
      ...written,
    });
    await close();
  });

  it('records which replica claimed, on new and existing entries', async () => {
    const a = await open('claimers', { replicaId: 'replica-a' });
    const claimed = await a.ledger.claimNew(entry());
    assert.ok(claimed.outcome === 'claimed', 'claimed by a');
    assert.equal(claimed.entry.claimedBy, 'replica-a');
    const named = await a.ledger.claimNew(
      entry({ key: 'k-named', customerId: 'contact-9', claimedBy: 'operator' }),
    );
    assert.ok(named.outcome === 'claimed', 'claimed under a given name');
    assert.equal(named.entry.claimedBy, 'operator');
    const skipped = await a.ledger.record(
      entry({ key: 'k-skip', customerId: 'contact-2', status: 'skipped' }),
    );
    assert.ok(skipped.outcome === 'claimed', 'recorded');
    assert.equal(skipped.entry.claimedBy, undefined);
    await a.ledger.update(claimed.entry.id, { status: 'unknown', updatedAt: at(1) }, ['sending']);
    await a.close();

    const b = await open('claimers', { replicaId: 'replica-b' });
    const again = await b.ledger.claimExisting(claimed.entry.id, ['unknown'], {
      claimedAt: at(30),
      updatedAt: at(30),
    });
    assert.ok(again.outcome === 'claimed', 'claimed again by b');
    assert.equal(again.entry.claimedBy, 'replica-b');
    assert.equal((await b.ledger.get(claimed.entry.id))?.claimedBy, 'replica-b');
    await b.close();
  });

  it('lists in-doubt entries, leaving out sending ones claimed at or after a time', async () => {
    const { ledger, close } = await open('in-doubt');
    const old = await ledger.claimNew(entry({ key: 'old', customerId: 'c-old', claimedAt: at(0) }));
    const edge = await ledger.claimNew(entry({ key: 'edge', customerId: 'c-edge', claimedAt: at(10) }));
    const fresh = await ledger.claimNew(entry({ key: 'fresh', customerId: 'c-fresh', claimedAt: at(20) }));
    const unknown = await ledger.claimNew(
      entry({ key: 'unknown', customerId: 'c-unknown', claimedAt: at(30) }),
    );
    assert.ok(unknown.outcome === 'claimed', 'claimed');
    await ledger.update(unknown.entry.id, { status: 'unknown', updatedAt: at(31) }, ['sending']);
    for (const claim of [old, edge, fresh]) assert.equal(claim.outcome, 'claimed');

    const keys = async (options?: Parameters<LedgerStore['listInDoubt']>[1]) =>
      (await ledger.listInDoubt(500, options)).map((e) => e.key);
    assert.deepEqual(await keys(), ['old', 'edge', 'fresh', 'unknown']);
    assert.deepEqual(await keys({ sendingClaimedBefore: at(10) }), ['old', 'unknown']);
    assert.deepEqual(await keys({ sendingClaimedBefore: at(10), includeUnknown: false }), ['old']);
    assert.deepEqual(await keys({ sendingClaimedBefore: at(60) }), ['old', 'edge', 'fresh', 'unknown']);
    assert.deepEqual(await keys({ sendingClaimedBefore: at(-60) }), ['unknown']);
    await close();
  });
}
