/**
 * The contact limits as the decider reads them from the ledger before any platform call, and as the claim checks
 * them again: one open decision per rule and customer, the rule's cooldown, the daily cap over every rule.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defineRules, type ProactiveRule } from '../../../src/proactive/index.js';
import {
  claimGuard,
  claimRefusal,
  contactLimitProblem,
} from '../../../src/proactive/policy/contact-limits.js';
import {
  type LedgerStore,
  ledgerOf,
  type NewLedgerEntry,
  openSqliteStore,
} from '../../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-limits-'));
const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse('2025-01-15T12:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function rules(): { weekly: ProactiveRule; other: ProactiveRule } {
  const set = defineRules({
    rules: [
      {
        id: 'weekly',
        trigger: { event: 'conversation.ended' },
        channels: ['sms'],
        message: { text: 'Hi' },
        policy: { cooldown: '7d', dailyCap: 2 },
      },
      { id: 'other', trigger: { event: 'conversation.ended' }, channels: ['sms'], message: { text: 'Hi' } },
    ],
  });
  return { weekly: set.rules[0]!, other: set.rules[1]! };
}

function ledger(name: string): LedgerStore {
  const store = openSqliteStore({ path: join(dir, `${name}.db`) });
  opened.push(store);
  return ledgerOf(store);
}

function entry(
  key: string,
  ruleId: string,
  status: NewLedgerEntry['status'],
  claimedAt: number,
): NewLedgerEntry {
  return {
    key,
    ruleId,
    customerId: 'contact-1',
    triggerKind: 'event',
    triggerId: key,
    status,
    claimedAt: iso(claimedAt),
    createdAt: iso(claimedAt),
  };
}

describe('contact limits', () => {
  it('allows a customer nothing holds back', async () => {
    const { weekly } = rules();
    assert.equal(
      await contactLimitProblem(ledger('none'), weekly, 'contact-1', () => NOW, undefined),
      undefined,
    );
  });

  it('holds back while another decision of the rule is open, unless it is the entry being decided again', async () => {
    const { weekly } = rules();
    const l = ledger('pending');
    const open = await l.record(entry('open', 'weekly', 'deferred', NOW - HOUR));
    assert.ok(open.outcome === 'claimed');
    const problem = await contactLimitProblem(l, weekly, 'contact-1', () => NOW, undefined);
    assert.equal(problem?.reasonCode, 'pending');
    assert.match(problem?.reason ?? '', new RegExp(`ledger entry ${open.entry.id}, deferred`));
    assert.equal(await contactLimitProblem(l, weekly, 'contact-1', () => NOW, open.entry.id), undefined);
  });

  it('holds back within the rule’s cooldown, and at the daily cap over every rule', async () => {
    const { weekly, other } = rules();
    const l = ledger('cooldown');
    await l.record(entry('sent-weekly', 'weekly', 'sent', NOW - 3 * 86_400_000));
    assert.deepEqual(await contactLimitProblem(l, weekly, 'contact-1', () => NOW, undefined), {
      reasonCode: 'cooldown',
      reason: 'contacted by this rule within the cooldown (7d)',
    });
    // Another rule's cooldown counts its own sends only; its daily cap (1 by default) counts every rule's.
    assert.equal(await contactLimitProblem(l, other, 'contact-1', () => NOW, undefined), undefined);
    await l.record(entry('sent-today', 'weekly', 'sent', NOW - HOUR));
    assert.deepEqual(await contactLimitProblem(l, other, 'contact-1', () => NOW, undefined), {
      reasonCode: 'daily_cap',
      reason: 'already contacted 1 time(s) in the last 24 hours (cap 1)',
    });
  });

  it('gives the claim the same limits to check atomically, and says why a claim was refused', () => {
    const { weekly } = rules();
    assert.deepEqual(claimGuard(weekly, NOW), {
      cooldownSince: iso(NOW - 7 * 86_400_000),
      cap: { since: iso(NOW - 86_400_000), max: 2 },
    });
    assert.deepEqual(claimRefusal({ outcome: 'cap', count: 2 }, weekly), {
      reasonCode: 'daily_cap',
      reason: 'already contacted 2 time(s) in the last 24 hours (cap 2)',
    });
  });
});
