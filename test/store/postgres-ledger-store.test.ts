import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgresStore, type PostgresStore } from '../../src/store/index.js';
import { PG_URL, pgSkip, testSchemas } from './pg-helpers.js';
import { at, entry, ledgerBehaviours } from './store-suite.js';

const skip = await pgSkip();
const schemas = testSchemas('sb_ledger');
const opened: PostgresStore[] = [];
after(async () => {
  for (const store of opened) await store.close();
  await schemas.dropAll();
});

/** Replicas of one schema: separate stores, so separate pools and connections. */
async function replicas(name: string, count: number, pickLeaseMs?: number): Promise<PostgresStore[]> {
  const schema = schemas.schema(name);
  const stores: PostgresStore[] = [];
  for (let i = 0; i < count; i++) {
    const store = await openPostgresStore({
      url: PG_URL,
      schema,
      replicaId: `replica-${i}`,
      poolSize: 4,
      ...(pickLeaseMs !== undefined ? { pickLeaseMs } : {}),
    });
    stores.push(store);
    opened.push(store);
  }
  return stores;
}

const ledgerOfStore = (store: PostgresStore) => store.ledger;

describe('PostgresLedgerStore', { skip }, () => {
  ledgerBehaviours(async (name, options = {}) => {
    const store = await openPostgresStore({
      url: PG_URL,
      schema: schemas.schema(`suite_${name}`),
      ...options,
    });
    return { ledger: store.ledger, close: () => store.close() };
  });

  it('lets exactly one of two replicas claim the same key at the same moment', async () => {
    const [a, b] = (await replicas('same_key', 2)).map(ledgerOfStore);
    for (let round = 0; round < 20; round++) {
      const claim = entry({ key: `key-${round}`, customerId: `customer-${round}` });
      const results = await Promise.all([a!.claimNew(claim), b!.claimNew(claim)]);
      const outcomes = results.map((r) => r.outcome).sort();
      assert.deepEqual(outcomes, ['claimed', 'duplicate'], `round ${round}`);
    }
    assert.equal((await a!.list({ limit: 100 })).length, 20);
  });

  it('lets one of two replicas pass a daily cap and a cooldown for the same customer', async () => {
    const [a, b] = (await replicas('guards_race', 2)).map(ledgerOfStore);
    const cap = { since: at(-1440), max: 1 };
    for (let round = 0; round < 15; round++) {
      const customerId = `capped-${round}`;
      // Two rules, two keys: only the cap (1 a day) stands between them.
      const results = await Promise.all([
        a!.claimNew(entry({ key: `a-${round}`, ruleId: 'rule-a', customerId }), { cap }),
        b!.claimNew(entry({ key: `b-${round}`, ruleId: 'rule-b', customerId }), { cap }),
      ]);
      assert.deepEqual(results.map((r) => r.outcome).sort(), ['cap', 'claimed'], `cap round ${round}`);
      assert.equal(await a!.countContacted(customerId, at(-1)), 1);
    }
    for (let round = 0; round < 15; round++) {
      const customerId = `cooled-${round}`;
      // Same rule, two triggers, an hour's cooldown: the second claim must see the first (open, so `pending`).
      const guard = { cooldownSince: at(-60) };
      const results = await Promise.all([
        a!.claimNew(entry({ key: `x-${round}`, triggerId: 'x', customerId }), guard),
        b!.claimNew(entry({ key: `y-${round}`, triggerId: 'y', customerId }), guard),
      ]);
      const outcomes = results.map((r) => r.outcome);
      assert.equal(outcomes.filter((o) => o === 'claimed').length, 1, `cooldown round ${round}: ${outcomes}`);
      const winner = results.find((r) => r.outcome === 'claimed');
      assert.ok(winner?.outcome === 'claimed', 'a winner');
      // Once the winner's send is settled, the cooldown itself refuses a third trigger.
      await a!.update(winner.entry.id, { status: 'sent', updatedAt: at(1) }, ['sending']);
      const third = await b!.claimNew(entry({ key: `z-${round}`, triggerId: 'z', customerId }), guard);
      assert.equal(third.outcome, 'cooldown');
    }
  });

  it('hands each due entry to one replica at a time', async () => {
    const [a, b, c] = (await replicas('due', 3)).map(ledgerOfStore);
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const recorded = await a!.record(
        entry({
          key: `due-${i}`,
          customerId: `c-${i}`,
          status: 'deferred',
          dueAt: at(i % 7),
          claimedAt: undefined,
        }),
      );
      assert.ok(recorded.outcome === 'claimed', 'recorded');
      ids.push(recorded.entry.id);
    }
    const [fromA, fromB] = await Promise.all([
      a!.listDue(at(60), ['deferred', 'unknown']),
      b!.listDue(at(60), ['deferred', 'unknown']),
    ]);
    const idsA = fromA.map((e) => e.id);
    const idsB = fromB.map((e) => e.id);
    assert.deepEqual(
      idsA.filter((id) => idsB.includes(id)),
      [],
      'disjoint',
    );
    assert.deepEqual(
      [...idsA, ...idsB].sort((x, y) => x - y),
      ids,
    );
    for (const list of [fromA, fromB]) {
      const order = list.map((e) => `${e.dueAt}#${String(e.id).padStart(6, '0')}`);
      assert.deepEqual(order, [...order].sort(), 'oldest due first');
    }
    // Picked by others and not expired: nothing for a third replica; a picker gets its own picks again.
    assert.deepEqual(await c!.listDue(at(60), ['deferred']), []);
    assert.deepEqual(
      (await a!.listDue(at(60), ['deferred'])).map((e) => e.id),
      idsA,
    );
    // A new status is the picker's outcome: the entry is free again.
    const first = idsA[0] ?? idsB[0]!;
    const picker = idsA.includes(first) ? a! : b!;
    await picker.update(first, { status: 'deferred', dueAt: at(30), updatedAt: at(1) }, ['deferred']);
    assert.deepEqual(
      (await c!.listDue(at(60), ['deferred'])).map((e) => e.id),
      [first],
    );
  });

  it('respects the limit, and frees a pick when its lease runs out', async () => {
    const [a, b] = (await replicas('lease', 2, 400)).map(ledgerOfStore);
    for (let i = 0; i < 5; i++) {
      await a!.record(entry({ key: `l-${i}`, customerId: `c-${i}`, status: 'deferred', dueAt: at(i) }));
    }
    const picked = await a!.listDue(at(10), ['deferred'], 2);
    assert.equal(picked.length, 2);
    const rest = await b!.listDue(at(10), ['deferred']);
    assert.equal(rest.length, 3);
    assert.deepEqual(await b!.listDue(at(10), ['deferred']), rest, 'its own picks again');
    assert.equal((await a!.listDue(at(10), ['deferred'])).length, 2, 'only its own');
    await sleep(600);
    // Both leases ran out: a replica that died after picking does not hold entries for long.
    assert.equal((await a!.listDue(at(10), ['deferred'])).length, 5);
  });

  it('refuses to claim an entry another replica picked and handles now', async () => {
    const [a, b] = (await replicas('picked_claim', 2)).map(ledgerOfStore);
    const recorded = await a!.record(entry({ status: 'deferred', dueAt: at(0), claimedAt: undefined }));
    assert.ok(recorded.outcome === 'claimed', 'recorded');
    const [due] = await a!.listDue(at(1), ['deferred']);
    assert.equal(due?.id, recorded.entry.id);
    const stolen = await b!.claimExisting(recorded.entry.id, ['deferred'], {
      claimedAt: at(1),
      updatedAt: at(1),
    });
    assert.equal(stolen.outcome, 'moved');
    const own = await a!.claimExisting(recorded.entry.id, ['deferred'], {
      claimedAt: at(1),
      updatedAt: at(1),
    });
    assert.ok(own.outcome === 'claimed', 'the picker claims it');
    assert.equal(own.entry.claimedBy, 'replica-0');
  });

  it('hands stale in-doubt entries to one settler at a time when asked with options', async () => {
    const [a, b, c] = (await replicas('in_doubt', 3)).map(ledgerOfStore);
    for (let i = 0; i < 20; i++) {
      await c!.claimNew(entry({ key: `s-${i}`, customerId: `c-${i}`, claimedAt: at(i % 5) }));
    }
    await c!.claimNew(entry({ key: 'fresh', customerId: 'c-fresh', claimedAt: at(100) }));
    const options = { sendingClaimedBefore: at(50) };
    const [fromA, fromB] = await Promise.all([a!.listInDoubt(500, options), b!.listInDoubt(500, options)]);
    const keys = [...fromA, ...fromB].map((e) => e.key);
    assert.equal(keys.length, 20);
    assert.equal(new Set(keys).size, 20, 'disjoint');
    assert.ok(!keys.includes('fresh'), 'a fresh claim is left to its claimer');
    // Without options: every in-doubt entry, as a store one process uses.
    assert.equal((await c!.listInDoubt()).length, 21);
  });
});
