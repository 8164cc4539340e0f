import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { AccessControl, COOKIE_NAME } from '../../src/server/access.js';
import { MonotonicTotal } from '../../src/server/metrics.js';
import { ledgerView, maskAddress, redactEvent, shortChannelId, statusView } from '../../src/server/views.js';
import type { LedgerEntry } from '../../src/store/index.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const url = (path: string) => new URL(path, 'http://x.invalid');
const TOKEN = 'a-very-long-access-token-0123';

describe('AccessControl', () => {
  it('allows everything without a token', () => {
    const access = new AccessControl(undefined);
    assert.equal(access.required, false);
    assert.equal(access.check(request({}), url('/api/health')).kind, 'allow');
  });

  it('takes a Bearer token, a ?token= login that sets a cookie holding no token, and that cookie', () => {
    const access = new AccessControl(TOKEN);
    assert.equal(access.check(request({}), url('/')).kind, 'deny');
    assert.equal(access.check(request({ authorization: 'Bearer nope' }), url('/')).kind, 'deny');
    assert.equal(
      access.check(request({ authorization: `Bearer ${TOKEN}` }), url('/api/health')).kind,
      'allow',
    );
    assert.equal(access.check(request({}), url('/?token=wrong')).kind, 'deny');
    const login = access.check(request({}), url(`/?token=${TOKEN}&x=1`));
    assert.equal(login.kind, 'login');
    if (login.kind !== 'login') return;
    assert.equal(login.location, '/?x=1', 'the token leaves the address bar');
    assert.match(
      login.cookie,
      new RegExp(`^${COOKIE_NAME}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/$`),
    );
    assert.ok(!login.cookie.includes(TOKEN));
    const cookie = login.cookie.split(';')[0]!;
    assert.equal(access.check(request({ cookie: `other=1; ${cookie}` }), url('/api/events')).kind, 'allow');
    assert.equal(access.check(request({ cookie: `${COOKIE_NAME}=forged` }), url('/')).kind, 'deny');
    const another = new AccessControl(`${TOKEN}-rotated`);
    assert.equal(
      another.check(request({ cookie }), url('/')).kind,
      'deny',
      'a changed token voids old cookies',
    );
  });
});

describe('views', () => {
  it('removes wrap-up notes unless customer data is shown, and shortens channel ids', () => {
    const event: LifecycleEvent = {
      id: 'e1',
      type: 'conversation.wrapup',
      conversationId: 'c1',
      occurredAt: 'x',
      observedAt: 'x',
      mediaType: 'voice',
      source: { kind: 'topic', topic: 't', channelId: '0123456789abcdef-channel-secret' },
      participant: { participantId: 'p', purpose: 'agent' },
      code: 'w1',
      notes: 'Customer Jane Doe at +14045550123 asked about her refund',
      afterCallWork: 'complete',
    };
    const hidden = redactEvent(event, { showCustomerData: false });
    assert.ok(!JSON.stringify(hidden).includes('Jane'));
    assert.ok(!JSON.stringify(hidden).includes('channel-secret'));
    assert.equal((hidden as unknown as { notesRedacted: boolean }).notesRedacted, true);
    const shown = redactEvent(event, { showCustomerData: true });
    assert.ok(JSON.stringify(shown).includes('Jane'));
    assert.equal(shortChannelId('0123456789abcdef'), '01234567…');
    const status = statusView({
      type: 'rotated',
      slot: 0,
      reason: 'rotation',
      fromChannelId: 'aaaaaaaa-1111',
      toChannelId: 'bbbbbbbb-2222',
      at: 'x',
    });
    assert.deepEqual(status, {
      type: 'rotated',
      slot: 0,
      reason: 'rotation',
      fromChannelId: 'aaaaaaaa…',
      toChannelId: 'bbbbbbbb…',
      at: 'x',
    });
  });

  it('masks ledger addresses to their last characters', () => {
    assert.equal(maskAddress('+14045550123'), '********0123');
    assert.equal(maskAddress('abc'), '***');
    const entry: LedgerEntry = {
      id: 1,
      key: 'k',
      ruleId: 'r',
      customerId: 'contact-1',
      triggerKind: 'event',
      triggerId: 't',
      status: 'sent',
      channel: 'sms',
      toAddress: '+14045550123',
      attempts: 1,
      createdAt: 'x',
      updatedAt: 'y',
    };
    assert.equal(ledgerView(entry, { showCustomerData: false }).to, '********0123');
    assert.equal(ledgerView(entry, { showCustomerData: true }).to, '+14045550123');
    assert.equal(ledgerView(entry, { showCustomerData: false }).outcome, 'sent');
  });
});

describe('MonotonicTotal', () => {
  it('sums per-slot counters without going backwards when a slot resets or disappears', () => {
    const total = new MonotonicTotal();
    assert.equal(
      total.update([
        [0, 5],
        [1, 3],
      ]),
      8,
    );
    assert.equal(
      total.update([
        [0, 7],
        [1, 3],
      ]),
      10,
    );
    assert.equal(total.update([[0, 2]]), 12, 'slot 0 restarted from zero; slot 1 is gone');
    assert.equal(total.update([[0, 2]]), 12);
  });
});

describe('Host check of a loopback bind without a token', () => {
  it('accepts only loopback names, so a re-pointed DNS name cannot reach the API', async () => {
    const { isLoopbackHostHeader } = await import('../../src/server/http-server.js');
    for (const host of ['127.0.0.1:8080', 'localhost:8080', 'localhost', '[::1]:8080', '127.0.0.2']) {
      assert.ok(isLoopbackHostHeader(host), host);
    }
    for (const host of [
      undefined,
      'evil.example:8080',
      '127.0.0.1.evil.example',
      '10.0.0.1:8080',
      '[fe80::1]:80',
    ]) {
      assert.ok(!isLoopbackHostHeader(host), String(host));
    }
  });
});
