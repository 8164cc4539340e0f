import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Decision, ProactiveEngine, type RuleInput } from '../../src/proactive/index.js';
import {
  eventsOf,
  type Harness,
  injectFaults,
  newClient,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness({
    seed: 31,
    clients: [
      {
        clientId: 'no-send',
        clientSecret: 'no-send-secret',
        // Everything the engine reads, but not conversation:message:create.
        permissions: [
          'analytics:conversationDetail:view',
          'externalContacts:contact:view',
          'routing:wrapupCode:view',
          'sms:phoneNumber:view',
          'messaging:integration:view',
          'conversation:communication:view',
        ],
      },
    ],
  });
});
after(() => h.stop());

const AGENTLESS = '/api/v2/conversations/messages/agentless';

function rule(id: string): RuleInput {
  return {
    id,
    trigger: { event: 'conversation.ended', mediaType: 'message', messageType: 'webmessaging' },
    history: { minConversations: 1 },
    channels: ['sms'],
    message: { text: 'Hello {{contact.firstName}}' },
    policy: { quietHours: false },
  };
}

async function run(engine: ProactiveEngine, contactIndex: number) {
  const contact = returningContacts(h.emulator).reachable[contactIndex]!;
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
  });
  const decisions: Decision[] = [];
  for (const event of await eventsOf(h.emulator, conversationId, ['conversation.ended'])) {
    decisions.push(...(await engine.handleEvent(event)));
  }
  const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
  return { contact, decisions, sends };
}

describe('proactive engine against platform failures', () => {
  it('rides out a 429 storm and a 503, sending exactly once', async () => {
    const client = newClient(h.emulator);
    const engine = new ProactiveEngine({
      rules: testRules([rule('storm')]),
      client,
      ledger: h.openLedger().ledger,
    });
    await injectFaults(h.emulator, [
      { type: 'fail-requests', path: '/api/v2/', status: 429, count: 3, retryAfterSeconds: 1 },
      { type: 'fail-requests', path: AGENTLESS, status: 503, count: 2 },
    ]);
    const { decisions, sends } = await run(engine, 0);
    assert.deepEqual(
      decisions.map((d) => d.status),
      ['sent'],
    );
    assert.equal(sends.length, 1);
    const stats = client.stats();
    assert.equal(stats.rateLimited, 3, 'three 429s were met and waited out');
    assert.ok(stats.retries >= 5);
    assert.equal(h.emulator.status().pendingRequestFaults, 0);
    await client.close();
  });

  it('treats a 500 on the send as unknown, reconciles it, and only then sends', async () => {
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([rule('five-hundred')]),
      client: h.client,
      ledger,
    });
    await injectFaults(h.emulator, { type: 'fail-requests', path: AGENTLESS, status: 500, count: 1 });
    const { decisions, sends } = await run(engine, 1);
    assert.deepEqual(
      decisions.map((d) => [d.status, d.reasonCode]),
      [['unknown', 'outcome_unknown']],
    );
    assert.equal(sends.length, 0, 'the platform refused it before doing anything');

    const retried = await engine.processDue();
    assert.deepEqual(
      retried.map((d) => d.status),
      ['sent'],
    );
    const after = (await outbound(h.emulator)).filter(
      (s) => s.externalContactId === decisions[0]!.customerId,
    );
    assert.equal(after.length, 1);
    assert.deepEqual(
      (await ledger.events(decisions[0]!.entryId!)).map((e) => e.status),
      ['sending', 'unknown', 'sending', 'sent'],
    );
  });

  it('records a 400 as failed with the platform’s reason (address masked) and does not retry it', async () => {
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({ rules: testRules([rule('bad-request')]), client: h.client, ledger });
    const phone = returningContacts(h.emulator).reachable[2]!.phone;
    await injectFaults(h.emulator, {
      type: 'fail-requests',
      path: AGENTLESS,
      status: 400,
      count: 1,
      code: 'invalid.value',
      message: `toAddress ${phone} is on the carrier block list`,
    });
    const { decisions, sends } = await run(engine, 2);
    assert.equal(sends.length, 0);
    assert.equal(decisions[0]?.status, 'failed');
    const entry = await ledger.get(decisions[0]!.entryId!);
    assert.equal(entry?.reasonCode, 'platform_rejected');
    assert.equal(entry?.platformCode, 'invalid.value');
    assert.match(
      entry?.reason ?? '',
      new RegExp(`toAddress \\*+${phone.slice(-4)} is on the carrier block list`),
    );
    assert.ok(!(entry?.reason ?? '').includes(phone), 'the address is masked');
    assert.match(entry?.correlationId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(await engine.processDue(), []);
  });

  it('stops a rule on 403 and names the missing permission', async () => {
    const client = newClient(h.emulator, 'no-send', 'no-send-secret');
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({ rules: testRules([rule('forbidden')]), client, ledger });
    const first = await run(engine, 3);
    assert.equal(first.sends.length, 0);
    assert.equal(first.decisions[0]?.status, 'failed');
    assert.equal(first.decisions[0]?.reasonCode, 'missing_permission');
    assert.match(first.decisions[0]?.reason ?? '', /missing permission conversation:message:create/);
    assert.match(engine.stoppedRules.get('forbidden') ?? '', /conversation:message:create/);

    const second = await run(engine, 4);
    assert.equal(second.decisions[0]?.status, 'skipped');
    assert.equal(second.decisions[0]?.reasonCode, 'rule_stopped');
    assert.equal(second.sends.length, 0);
    // A stopped rule's later triggers are not burnt in the ledger: they can run once the role is fixed.
    assert.equal((await ledger.list({ ruleId: 'forbidden' })).length, 1);
    await client.close();
  });
});
