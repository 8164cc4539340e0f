/**
 * Settling in-doubt sends in a store shared by replicas: another replica's fresh `sending` claim is left alone,
 * a stale one is reconciled (at start and by every due check of a running engine), each by one settler only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../src/logging.js';
import type { PlatformRequester } from '../../../src/proactive/index.js';
import { defineRules, ProactiveEngine } from '../../../src/proactive/index.js';
import { InDoubtSettler } from '../../../src/proactive/ledger/in-doubt.js';
import type { Reconciler } from '../../../src/proactive/ledger/reconcile.js';
import {
  type LedgerEntry,
  type LedgerStore,
  ledgerOf,
  type NewLedgerEntry,
  openPostgresStore,
  openSqliteStore,
  type PostgresStore,
} from '../../../src/store/index.js';
import { PG_URL, pgSkip, testSchemas } from '../../store/pg-helpers.js';

const skip = await pgSkip();
const schemas = testSchemas('sb_in_doubt');
const dir = mkdtempSync(join(tmpdir(), 'switchboard-in-doubt-'));
const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const store of opened) await store.close();
  await schemas.dropAll();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2025-01-15T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const STALE_MS = 60_000;

async function replica(schema: string, replicaId: string): Promise<PostgresStore> {
  const store = await openPostgresStore({ url: PG_URL, schema, replicaId, poolSize: 3 });
  opened.push(store);
  return store;
}

function claim(key: string, claimedAt: number, overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
  return {
    key,
    ruleId: 'gone-rule',
    customerId: `customer-${key}`,
    triggerKind: 'event',
    triggerId: key,
    status: 'sending',
    channel: 'sms',
    toAddress: '+14045550123',
    claimedAt: iso(claimedAt),
    createdAt: iso(claimedAt),
    ...overrides,
  };
}

async function claimed(ledger: LedgerStore, entry: NewLedgerEntry): Promise<LedgerEntry> {
  const result = await ledger.claimNew(entry);
  assert.ok(result.outcome === 'claimed', `${entry.key} claimed`);
  return result.entry;
}

/** A settler whose reconciliation always finds the message; `asked` lists the entry keys it looked up. */
function settler(ledger: LedgerStore, clock: { now: number }, sendingStaleMs: number) {
  const asked: string[] = [];
  const reconciler = {
    async find(entry: LedgerEntry) {
      asked.push(entry.key);
      // Lookups take a while: another settler running meanwhile must not take the same entry.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { found: true as const, conversationId: `conv-${entry.key}`, at: entry.claimedAt };
    },
  } as unknown as Reconciler;
  const settle = new InDoubtSettler({
    ledger,
    reconciler,
    settings: { graceMs: 0, skewMs: 0, maxAttempts: 3 },
    // No rules: every entry's rule is gone, so nothing is decided again here.
    rules: [],
    decider: { decide: () => Promise.reject(new Error('nothing is decided again here')) },
    sends: { isSending: () => false },
    stops: { stop: () => undefined },
    reporter: { report: () => undefined },
    now: () => clock.now,
    dryRun: false,
    logger: silentLogger(),
    sendingStaleMs,
  });
  return { settle, asked };
}

describe('in-doubt settling with a shared store', { skip }, () => {
  it('leaves a fresh sending claim of another replica alone and reconciles a stale one', async () => {
    const schema = schemas.schema('fresh_stale');
    const a = await replica(schema, 'replica-a');
    const b = await replica(schema, 'replica-b');
    const fresh = await claimed(a.ledger, claim('fresh', NOW - 5_000));
    const stale = await claimed(a.ledger, claim('stale', NOW - 10 * 60_000));
    const unknown = await claimed(a.ledger, claim('unknown', NOW - 1_000));
    await a.ledger.update(unknown.id, { status: 'unknown', updatedAt: iso(NOW) }, ['sending']);

    const clock = { now: NOW };
    const { settle, asked } = settler(b.ledger, clock, STALE_MS);
    await settle.settleAll();
    assert.deepEqual(asked.sort(), ['stale', 'unknown']);
    const reconciled = await b.ledger.get(stale.id);
    assert.equal(reconciled?.status, 'sent');
    assert.equal(reconciled?.reasonCode, 'reconciled');
    assert.equal(reconciled?.conversationId, 'conv-stale');
    assert.equal((await b.ledger.get(fresh.id))?.status, 'sending', 'its claimer may still be sending');
    assert.equal((await b.ledger.get(unknown.id))?.status, 'sent');

    // A running engine's periodic pass: nothing new while the claim is fresh, then the claim goes stale.
    asked.length = 0;
    assert.deepEqual(await settle.settleStale(), []);
    assert.deepEqual(asked, []);
    clock.now = NOW + STALE_MS;
    await settle.settleStale();
    assert.deepEqual(asked, ['fresh']);
    assert.equal((await b.ledger.get(fresh.id))?.status, 'sent');
  });

  it('leaves unknown entries to the due-time pass and skips what the engine says to skip', async () => {
    const schema = schemas.schema('periodic');
    const a = await replica(schema, 'replica-a');
    const b = await replica(schema, 'replica-b');
    const unknown = await claimed(a.ledger, claim('unknown', NOW - 10 * 60_000));
    await a.ledger.update(unknown.id, { status: 'unknown', dueAt: iso(NOW + 60_000), updatedAt: iso(NOW) }, [
      'sending',
    ]);
    const halted = await claimed(a.ledger, claim('halted', NOW - 10 * 60_000, { ruleId: 'halted-rule' }));
    const { settle, asked } = settler(b.ledger, { now: NOW }, STALE_MS);
    await settle.settleStale((entry) => entry.ruleId === 'halted-rule');
    assert.deepEqual(asked, []);
    assert.equal((await b.ledger.get(unknown.id))?.status, 'unknown');
    assert.equal((await b.ledger.get(halted.id))?.status, 'sending');
  });

  it('hands each stale entry to one of two settlers running at the same moment', async () => {
    const schema = schemas.schema('two_settlers');
    const a = await replica(schema, 'replica-a');
    const b = await replica(schema, 'replica-b');
    const c = await replica(schema, 'replica-c');
    for (let i = 0; i < 12; i++) await claimed(a.ledger, claim(`s${i}`, NOW - 10 * 60_000 + i));
    const first = settler(b.ledger, { now: NOW }, STALE_MS);
    const second = settler(c.ledger, { now: NOW }, STALE_MS);
    await Promise.all([first.settle.settleStale(), second.settle.settleStale()]);
    const asked = [...first.asked, ...second.asked];
    assert.equal(asked.length, 12, `each reconciled once: ${first.asked} | ${second.asked}`);
    assert.equal(new Set(asked).size, 12);
    assert.deepEqual(
      (await a.ledger.list({ status: 'sending' })).map((e) => e.key),
      [],
    );
  });

  it('lets a running engine reconcile a dead replica’s stale send at every due check', async () => {
    const schema = schemas.schema('engine');
    const a = await replica(schema, 'replica-a');
    const b = await replica(schema, 'replica-b');
    const clock = { now: NOW };
    const searches: string[] = [];
    // Analytics shows nothing: with no grace left and the rule gone, the entry is closed, never sent again.
    const client: PlatformRequester = {
      async request(request) {
        searches.push(request.path);
        return { status: 200, headers: {}, body: { conversations: [], totalHits: 0 } } as never;
      },
    };
    const engine = new ProactiveEngine({
      rules: defineRules({
        settings: { reconcile: { graceSeconds: 0 } },
        rules: [
          {
            id: 'live-rule',
            trigger: { event: 'conversation.ended' },
            channels: ['sms'],
            message: { text: 'Hi' },
          },
        ],
      }),
      client,
      ledger: b.ledger,
      clock: { now: () => clock.now },
      sendingStaleMs: STALE_MS,
    });
    assert.deepEqual(await engine.start(), []);
    const dead = await claimed(a.ledger, claim('dead', NOW - 1_000));
    assert.deepEqual(await engine.processDue(), []);
    assert.equal((await b.ledger.get(dead.id))?.status, 'sending', 'fresh: left to its claimer');
    assert.equal(searches.length, 0);
    clock.now = NOW + 2 * STALE_MS;
    await engine.processDue();
    const closed = await b.ledger.get(dead.id);
    assert.equal(closed?.status, 'failed');
    assert.equal(closed?.reasonCode, 'rule_removed');
    assert.ok(searches.length > 0, 'analytics was asked first');
  });
});

describe('in-doubt settling with a store one process uses', () => {
  it('settles every sending entry found at start, however fresh (sendingStaleMs 0)', async () => {
    const store = openSqliteStore({ path: join(dir, 'single.db') });
    opened.push(store);
    const ledger = ledgerOf(store);
    await claimed(ledger, claim('fresh', NOW - 1_000));
    await claimed(ledger, claim('old', NOW - 10 * 60_000));
    const { settle, asked } = settler(ledger, { now: NOW }, 0);
    await settle.settleAll();
    assert.deepEqual(asked.sort(), ['fresh', 'old']);
    assert.deepEqual(await settle.settleStale(), []);
    assert.deepEqual(
      (await ledger.list({ status: 'sending' })).map((e) => e.key),
      [],
    );
  });
});
