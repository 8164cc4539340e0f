import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PlatformRequest } from '../../src/platform/index.js';
import {
  type Decision,
  type PlatformRequester,
  ProactiveEngine,
  type RuleInput,
} from '../../src/proactive/index.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  eventsOf,
  type Harness,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness({ seed: 99 });
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

/** A client that "crashes" on the agentless send: before it leaves, or after the platform answered. */
function crashingClient(
  when: 'before-send' | 'after-answer',
): PlatformRequester & { sendSeen: Promise<void> } {
  let seen: () => void = () => undefined;
  const sendSeen = new Promise<void>((resolve) => {
    seen = resolve;
  });
  return {
    sendSeen,
    async request<T>(request: PlatformRequest) {
      if (request.method === 'POST' && request.path === AGENTLESS) {
        if (when === 'after-answer') await h.client.request(request);
        seen();
        // The process dies here: no answer is ever recorded.
        return new Promise<never>(() => undefined);
      }
      return h.client.request<T>(request);
    },
  };
}

async function customerConversation(index: number) {
  const contact = returningContacts(h.emulator).reachable[index]!;
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
  });
  return { contact, events: await eventsOf(h.emulator, conversationId, ['conversation.ended']) };
}

async function feed(engine: ProactiveEngine, events: Awaited<ReturnType<typeof eventsOf>>) {
  const decisions: Decision[] = [];
  for (const event of events) decisions.push(...(await engine.handleEvent(event)));
  return decisions;
}

describe('proactive engine across crashes and restarts', () => {
  it('never sends twice when a restarted engine sees the same triggers again', async () => {
    const { contact, events } = await customerConversation(0);
    const first = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([rule('restart')]),
      client: h.client,
      ledger: first.ledger,
    });
    const decisions = await feed(engine, events);
    assert.deepEqual(
      decisions.map((d) => d.status),
      ['sent'],
    );
    await first.store.close();

    const second = h.openLedger();
    const restarted = new ProactiveEngine({
      rules: testRules([rule('restart')]),
      client: h.client,
      ledger: second.ledger,
    });
    assert.deepEqual(await restarted.start(), []);
    const again = await feed(restarted, events);
    assert.deepEqual(
      again.map((d) => d.status),
      ['duplicate'],
    );
    const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
    assert.equal(sends.length, 1);
  });

  it('reconciles a send the platform answered but the crashed engine never recorded', async () => {
    const { contact, events } = await customerConversation(1);
    const crashed = h.openLedger();
    const client = crashingClient('after-answer');
    const engine = new ProactiveEngine({
      rules: testRules([rule('crash-after')]),
      client,
      ledger: crashed.ledger,
    });
    void feed(engine, events);
    await client.sendSeen;
    const [inDoubt] = await crashed.ledger.list({ ruleId: 'crash-after' });
    assert.equal(inDoubt?.status, 'sending', 'claimed before the call, never settled');
    const [sent] = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
    assert.ok(sent);

    // The rules here believe a miss at once (grace 0): restart once analytics shows the send, as a real restart
    // (minutes, not the seconds analytics is behind) would find it. The default grace (10 min) covers the lag.
    await waitFor(
      () => h.emulator.world!.analyticsRecords([sent.conversationId]).length === 1,
      'analytics to show the send',
      15_000,
    );
    const restarted = h.openLedger();
    const engine2 = new ProactiveEngine({
      rules: testRules([rule('crash-after')]),
      client: h.client,
      ledger: restarted.ledger,
    });
    const settled = await engine2.start();
    assert.equal(settled.length, 1);
    assert.equal(settled[0]!.status, 'sent');
    assert.equal(settled[0]!.reasonCode, 'reconciled');
    await feed(engine2, events);

    const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
    assert.equal(sends.length, 1, 'the platform holds exactly one message');
    const entry = await restarted.ledger.get(inDoubt!.id);
    assert.equal(entry?.status, 'sent');
    assert.equal(entry?.conversationId, sends[0]!.conversationId);
    assert.equal(entry?.attempts, 1);
  });

  it('sends once after a crash before the request left, but only once analytics has had its grace period', async () => {
    const { contact, events } = await customerConversation(2);
    const crashed = h.openLedger();
    const client = crashingClient('before-send');
    const graceRules = testRules([rule('crash-before')], { settings: { reconcile: { graceSeconds: 600 } } });
    const engine = new ProactiveEngine({ rules: graceRules, client, ledger: crashed.ledger });
    void feed(engine, events);
    await client.sendSeen;
    assert.equal((await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id).length, 0);

    // Restarted within the grace period: not in analytics yet, so no guess — it waits.
    const restarted = h.openLedger();
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const engine2 = new ProactiveEngine({
      rules: graceRules,
      client: h.client,
      ledger: restarted.ledger,
      clock,
    });
    const waiting = await engine2.start();
    assert.deepEqual(
      waiting.map((d) => [d.status, d.reasonCode]),
      [['unknown', 'outcome_unknown']],
    );
    assert.deepEqual(await engine2.processDue(), []);
    assert.equal((await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id).length, 0);

    // After the grace period analytics still shows nothing: now it is known not to have been sent.
    offset = 601_000;
    const retried = await engine2.processDue();
    assert.deepEqual(
      retried.map((d) => d.status),
      ['sent'],
    );
    await feed(engine2, events);
    const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
    assert.equal(sends.length, 1);
    const [entry] = await restarted.ledger.list({ ruleId: 'crash-before' });
    assert.equal(entry?.attempts, 2);
    assert.deepEqual(
      (await restarted.ledger.events(entry!.id)).map((e) => e.status),
      ['sending', 'unknown', 'sending', 'sent'],
    );
  });
});
