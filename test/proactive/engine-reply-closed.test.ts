/**
 * A reply into a web messaging conversation that closes just before it: the platform refuses the reply, nothing is
 * sent there, and the decision goes on with the rule's next channel — once, under the claim it already holds — or is
 * skipped with `reply_conversation_closed` when no channel is left. The world and the engine share a manual clock,
 * so "just before" is exact: the conversation is played to its end at the moment the reply goes out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/emulator/world/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import type { PlatformRequest } from '../../src/platform/index.js';
import {
  type Decision,
  type PlatformRequester,
  ProactiveEngine,
  type RuleInput,
} from '../../src/proactive/index.js';
import {
  factToEvent,
  type Harness,
  newClient,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from './helpers.js';

const clock = new ManualClock(Date.UTC(2025, 0, 15, 15, 0, 0));
let h: Harness;
let agentId: string;
before(async () => {
  h = await startHarness({
    seed: 91,
    timeScale: 20,
    clock,
    clients: [{ clientId: 'agent-user', clientSecret: 'agent-user-secret', permissions: ['*'] }],
  });
  agentId = h.emulator.world!.org.users[0]!.id;
  // The emulator issues client-credentials tokens only; this client's tokens carry the agent, as a token obtained
  // for that user would.
  const issue = h.emulator.tokens.issue.bind(h.emulator.tokens);
  h.emulator.tokens.issue = (client) => {
    const issued = issue(client);
    if (client.clientId === 'agent-user') issued.record.userId = agentId;
    return issued;
  };
});
after(() => h.stop());

function rule(id: string, channels: RuleInput['channels']): RuleInput {
  return {
    id,
    trigger: { event: 'participant.joined', mediaType: 'message', messageType: 'webmessaging' },
    history: { minConversations: 1 },
    channels,
    message: { text: 'Welcome back {{contact.firstName}}!' },
    policy: { quietHours: false },
  };
}

/** Plays emulated time a second at a time (bounded) until `done` holds. */
function playUntil(done: () => boolean, what: string): void {
  for (let i = 0; i < 3600 && !done(); i++) clock.advance(1_000);
  assert.ok(done(), `never happened: ${what}`);
}

/** A live web messaging conversation of a returning customer, answered by the agent; its events so far. */
async function liveConversation(contactIndex: number) {
  const contact = returningContacts(h.emulator).reachable[contactIndex]!;
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
    userId: agentId,
    durationMs: 600_000,
    missedAlert: false,
    park: false,
  });
  const world = h.emulator.world!;
  const facts = () => world.groundTruth().filter((f) => f.conversationId === conversationId);
  playUntil(
    () => facts().some((f) => f.type === 'participant.joined' && f.userId === agentId),
    'the agent answers',
  );
  const events = facts()
    .map(factToEvent)
    .filter((e): e is LifecycleEvent => e !== undefined);
  const conversation = world.conversations.get(conversationId)!;
  const ended = () => conversation.participants.every((p) => p.comm.state !== 'connected');
  return { contact, conversationId, events, conversation, ended };
}

/** The agent's credential; the conversation is played to its end when the reply is about to go out. */
function closingReplyClient(ended: () => boolean): { client: PlatformRequester; close(): Promise<void> } {
  const agent = newClient(h.emulator, 'agent-user', 'agent-user-secret');
  return {
    client: {
      request: <T>(request: PlatformRequest) => {
        if (request.method === 'POST' && request.path.includes('/communications/'))
          playUntil(ended, 'the conversation ends');
        return agent.request<T>(request);
      },
    },
    close: () => agent.close(),
  };
}

describe('a reply into a conversation that just closed', () => {
  it('goes on to the rule’s next channel, sends there once, and the ledger says why', async () => {
    const { ledger } = h.openLedger();
    const reply = closingReplyClient(() => live.ended());
    const engine = new ProactiveEngine({
      rules: testRules([rule('reply-then-sms', ['webmessaging-reply', 'sms'])], {
        settings: { webmessagingReply: { userId: agentId } },
      }),
      client: h.client,
      ledger,
      clock,
      replyCredential: { userId: agentId, client: reply.client },
    });
    const live = await liveConversation(0);
    const decisions: Decision[] = [];
    for (const event of live.events) decisions.push(...(await engine.handleEvent(event)));

    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel, d.reasonCode]),
      [['sent', 'sms', 'sent']],
    );
    const [decision] = decisions;
    assert.match(
      decision!.notes.join('\n'),
      new RegExp(
        `^webmessaging-reply: the customer's web messaging conversation ${live.conversationId} is no longer active: the reply was refused \\(409 conflict: Conversation ${live.conversationId} has ended`,
      ),
    );
    assert.match(
      decision!.reason ?? '',
      /^sent on sms; webmessaging-reply was refused first: .*409 conflict/,
    );

    // Nothing went into the closed conversation; one SMS went to the customer.
    const written = live.conversation.participants.flatMap((p) => p.comm.messages ?? []);
    assert.equal(written.filter((m) => m.sentBy?.userId === agentId).length, 0);
    const sends = (await outbound(h.emulator)).filter((s) => s.externalContactId === live.contact.id);
    assert.deepEqual(
      sends.map((s) => [s.messengerType, s.textBody]),
      [['sms', `Welcome back ${live.contact.firstName}!`]],
    );

    // One entry, claimed once: it stayed `sending` while it changed channel, then was sent.
    const entries = await ledger.list({ ruleId: 'reply-then-sms' });
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.equal(entry!.status, 'sent');
    assert.equal(entry!.channel, 'sms');
    assert.equal(entry!.attempts, 1);
    assert.equal(entry!.platformCode, undefined);
    assert.deepEqual(
      (await ledger.events(entry!.id)).map((e) => [e.status, e.reasonCode ?? null]),
      [
        ['sending', null],
        ['sending', 'reply_conversation_closed'],
        ['sent', 'sent'],
      ],
    );
    const fellThrough = (await ledger.events(entry!.id))[1]!;
    assert.match(fellThrough.reason ?? '', /is no longer active: the reply was refused .*; trying sms$/);
    assert.equal(await ledger.countContacted(live.contact.id, new Date(0).toISOString()), 1);

    // The same events again: already decided, nothing more is sent.
    const again: Decision[] = [];
    for (const event of live.events) again.push(...(await engine.handleEvent(event)));
    assert.deepEqual(
      again.map((d) => d.status),
      ['duplicate'],
    );
    assert.equal(
      (await outbound(h.emulator)).filter((s) => s.externalContactId === live.contact.id).length,
      1,
    );
    await reply.close();
  });

  it('is skipped with reply_conversation_closed when the rule lists no channel after the reply', async () => {
    const { ledger } = h.openLedger();
    const reply = closingReplyClient(() => live.ended());
    const engine = new ProactiveEngine({
      rules: testRules([rule('reply-only', ['webmessaging-reply'])], {
        settings: { webmessagingReply: { userId: agentId } },
      }),
      client: h.client,
      ledger,
      clock,
      replyCredential: { userId: agentId, client: reply.client },
    });
    const live = await liveConversation(1);
    const decisions: Decision[] = [];
    for (const event of live.events) decisions.push(...(await engine.handleEvent(event)));

    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel, d.reasonCode]),
      [['skipped', 'webmessaging-reply', 'reply_conversation_closed']],
    );
    assert.match(
      decisions[0]!.reason ?? '',
      /is no longer active: the reply was refused \(409 conflict: .*\); the rule lists no channel after webmessaging-reply$/,
    );
    assert.equal(
      (await outbound(h.emulator)).filter((s) => s.externalContactId === live.contact.id).length,
      0,
    );
    const [entry, ...others] = await ledger.list({ ruleId: 'reply-only' });
    assert.equal(others.length, 0);
    assert.equal(entry!.status, 'skipped');
    assert.equal(entry!.reasonCode, 'reply_conversation_closed');
    assert.equal(entry!.platformCode, 'conflict');
    assert.deepEqual(
      (await ledger.events(entry!.id)).map((e) => [e.status, e.reasonCode ?? null]),
      [
        ['sending', null],
        ['skipped', 'reply_conversation_closed'],
      ],
    );
    // Not contacted: the entry no longer counts toward cooldowns or the daily cap.
    assert.equal(await ledger.countContacted(live.contact.id, new Date(0).toISOString()), 0);
    await reply.close();
  });
});
