import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { FanOut } from '../../src/fan-out.js';
import { type Decision, ProactiveEngine, type RuleInput } from '../../src/proactive/index.js';
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
  h = await startHarness();
});
after(() => h.stop());

function wrapupRule(overrides: Partial<RuleInput> = {}): RuleInput {
  const code = h.emulator.world!.org.wrapupCodes[0]!;
  return {
    id: 'welcome-back',
    trigger: {
      event: 'conversation.wrapup',
      mediaType: 'message',
      messageType: 'webmessaging',
      wrapupCode: code.name,
    },
    history: { minConversations: 1, withinDays: 30 },
    channels: ['webmessaging', 'open', 'whatsapp', 'sms'],
    message: { text: 'Hi {{contact.firstName | "there"}}, thanks for chatting with us again.' },
    policy: { quietHours: false },
    ...overrides,
  };
}

async function feed(engine: ProactiveEngine, events: Awaited<ReturnType<typeof eventsOf>>) {
  const decisions: Decision[] = [];
  for (const event of events) decisions.push(...(await engine.handleEvent(event)));
  return decisions;
}

describe('proactive engine on live lifecycle events', () => {
  it('sends a returning web messaging customer exactly one message, on the first allowed channel', async () => {
    const { reachable } = returningContacts(h.emulator);
    const contact = reachable.find((c) => c.openMessagingId) ?? reachable[0]!;
    const expected = contact.openMessagingId ? 'open' : 'sms';
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({ rules: testRules([wrapupRule()]), client: h.client, ledger });
    const code = h.emulator.world!.org.wrapupCodes[0]!;

    const conversationId = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: contact.id,
      wrapupCode: code.id,
    });
    const events = await eventsOf(h.emulator, conversationId);
    const decisions = await feed(engine, events);
    // The same events again, as a duplicate delivery or a backfill would bring them.
    const again = await feed(engine, events);

    const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);
    assert.equal(sends.length, 1, 'exactly one message');
    assert.equal(sends[0]!.messengerType, expected);
    assert.equal(sends[0]!.toAddress, expected === 'open' ? contact.openMessagingId : contact.phone);
    assert.equal(sends[0]!.useExistingActiveConversation, false);
    assert.match(sends[0]!.textBody ?? '', new RegExp(`^Hi ${contact.firstName},`));

    const sent = decisions.filter((d) => d.status === 'sent');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.channel, expected);
    assert.match(
      sent[0]!.notes.join('\n'),
      /webmessaging: web messaging cannot receive proactive \(agentless\) messages.*2022/,
    );
    assert.deepEqual(
      again.map((d) => d.status),
      ['duplicate'],
    );
    const entry = await ledger.getByKey(sent[0]!.key);
    assert.equal(entry?.status, 'sent');
    assert.equal(entry?.conversationId, sends[0]!.conversationId);
    assert.equal(entry?.messageId, sends[0]!.id);
    assert.deepEqual(
      (await ledger.events(entry!.id)).map((e) => e.status),
      ['sending', 'sent'],
    );
  });

  it('sends nothing to an opted-out customer or an anonymous guest, and says why in the ledger', async () => {
    const { optedOut } = returningContacts(h.emulator);
    assert.ok(optedOut.length > 0, 'the seeded org has an opted-out returning customer');
    const contact = optedOut[0]!;
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([wrapupRule({ id: 'consent-check' })]),
      client: h.client,
      ledger,
    });
    const code = h.emulator.world!.org.wrapupCodes[0]!;
    const known = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: contact.id,
      wrapupCode: code.id,
    });
    const guest = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      anonymous: true,
      wrapupCode: code.id,
    });
    const before = (await outbound(h.emulator)).length;
    await feed(engine, await eventsOf(h.emulator, known));
    await feed(engine, await eventsOf(h.emulator, guest));

    assert.equal((await outbound(h.emulator)).length, before, 'nothing sent');
    const [optedOutEntry] = await ledger.list({ ruleId: 'consent-check', customerId: contact.id });
    assert.equal(optedOutEntry?.status, 'skipped');
    assert.equal(optedOutEntry?.reasonCode, 'opted_out');
    assert.match(optedOutEntry?.reason ?? '', /opted out \(customFields\.marketingOptOut_checkbox\)/);
    const [guestEntry] = await ledger.list({ ruleId: 'consent-check', customerId: `anonymous:${guest}` });
    assert.equal(guestEntry?.status, 'skipped');
    assert.equal(guestEntry?.reasonCode, 'anonymous_guest');
    assert.match(guestEntry?.reason ?? '', /no external contact/);
  });

  it('skips a rule that can only use web messaging, with the reason, and falls back past webmessaging-reply', async () => {
    const { reachable } = returningContacts(h.emulator);
    const contact = reachable.at(-1)!;
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([
        wrapupRule({ id: 'web-only', channels: ['webmessaging'] }),
        wrapupRule({
          id: 'reply-first',
          channels: ['webmessaging-reply', 'sms'],
          policy: { quietHours: false, dailyCap: 5 },
        }),
      ]),
      client: h.client,
      ledger,
    });
    const code = h.emulator.world!.org.wrapupCodes[0]!;
    const conversationId = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: contact.id,
      wrapupCode: code.id,
    });
    const decisions = await feed(engine, await eventsOf(h.emulator, conversationId));

    const webOnly = decisions.find((d) => d.ruleId === 'web-only')!;
    assert.equal(webOnly.status, 'skipped');
    assert.equal(webOnly.reasonCode, 'no_channel');
    assert.match(webOnly.reason ?? '', /removed web messaging as an agentless target in 2022/);
    const replyFirst = decisions.find((d) => d.ruleId === 'reply-first')!;
    assert.equal(replyFirst.status, 'sent');
    assert.equal(replyFirst.channel, 'sms');
    assert.match(replyFirst.notes[0] ?? '', /^webmessaging-reply: needs a user-context credential/);
    const sends = (await outbound(h.emulator)).filter((s) => s.conversationId === replyFirst.conversationId);
    assert.equal(sends.length, 1);
    assert.equal(sends[0]!.messengerType, 'sms');
  });

  it('does not fire on events that miss the trigger filters', async () => {
    const { reachable } = returningContacts(h.emulator);
    const { ledger } = h.openLedger();
    const codes = h.emulator.world!.org.wrapupCodes;
    const engine = new ProactiveEngine({
      rules: testRules([wrapupRule({ id: 'only-first-code' })]),
      client: h.client,
      ledger,
    });
    const conversationId = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: reachable[0]!.id,
      wrapupCode: codes[1]!.id,
    });
    const decisions = await feed(engine, await eventsOf(h.emulator, conversationId));
    assert.deepEqual(decisions, []);
    assert.deepEqual(await ledger.list({ ruleId: 'only-first-code' }), []);
  });

  it('runs live from an event hub, with schedule sweeps, until stopped', async () => {
    const { reachable } = returningContacts(h.emulator);
    const contact = reachable[1]!;
    const { ledger } = h.openLedger();
    const seen: Decision[] = [];
    const engine = new ProactiveEngine({
      rules: testRules([
        wrapupRule({ id: 'live', policy: { quietHours: false, dailyCap: 10 } }),
        {
          id: 'live-sweep',
          trigger: { schedule: { every: '1h', lookback: '7d' } },
          channels: ['webmessaging'],
          message: { text: 'never sent' },
        },
      ]),
      client: h.client,
      ledger,
      onDecision: (decision) => seen.push(decision),
    });
    await engine.start();
    const hub = new FanOut<LifecycleEvent>();
    const stop = new AbortController();
    const running = engine.run({ events: hub, signal: stop.signal, dueCheckMs: 50 });
    const code = h.emulator.world!.org.wrapupCodes[0]!;
    const conversationId = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: contact.id,
      wrapupCode: code.id,
    });
    for (const event of await eventsOf(h.emulator, conversationId)) hub.emit(event);
    try {
      await waitFor(() => seen.some((d) => d.ruleId === 'live'), "the live rule's decision", 5_000);
    } finally {
      stop.abort();
      await running;
    }

    assert.deepEqual(
      seen.filter((d) => d.ruleId === 'live').map((d) => d.status),
      ['sent'],
    );
    const swept = seen.filter((d) => d.ruleId === 'live-sweep');
    assert.ok(swept.length > 0, 'the schedule rule swept at start');
    assert.ok(swept.every((d) => d.status === 'skipped'));
    assert.match(swept.find((d) => d.reasonCode === 'no_channel')?.reason ?? '', /removed web messaging/);
    assert.equal(
      (await outbound(h.emulator)).filter(
        (s) => s.conversationId === seen.find((d) => d.ruleId === 'live')!.conversationId,
      ).length,
      1,
    );
  });
});
