import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Models } from '../../../src/platform/index.js';
import { type Decision, ProactiveEngine, type RuleInput } from '../../../src/proactive/index.js';
import {
  eventsOf,
  type Harness,
  newClient,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from '../helpers.js';

let h: Harness;
let agentId: string;
before(async () => {
  // Slow enough that the conversation is still live while the engine acts.
  h = await startHarness({
    seed: 77,
    timeScale: 20,
    clients: [{ clientId: 'agent-user', clientSecret: 'agent-user-secret', permissions: ['*'] }],
  });
  agentId = h.emulator.world!.org.users[0]!.id;
  // The emulator issues client-credentials tokens only; make this client's tokens carry a user, as a token
  // obtained for that user (code grant, or a bot's credential) would.
  const issue = h.emulator.tokens.issue.bind(h.emulator.tokens);
  h.emulator.tokens.issue = (client) => {
    const issued = issue(client);
    if (client.clientId === 'agent-user') issued.record.userId = agentId;
    return issued;
  };
});
after(() => h.stop());

function rule(): RuleInput {
  return {
    id: 'greet-returning',
    trigger: { event: 'participant.joined', mediaType: 'message', messageType: 'webmessaging' },
    history: { minConversations: 1 },
    channels: ['webmessaging', 'webmessaging-reply', 'sms'],
    message: { text: 'Welcome back {{contact.firstName}}! Last time: {{history.lastConversationDate}}.' },
    policy: { quietHours: false },
  };
}

async function liveConversation(contactIndex: number) {
  const contact = returningContacts(h.emulator).reachable[contactIndex]!;
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
    userId: agentId,
    durationMs: 200_000,
  });
  const events = await eventsOf(h.emulator, conversationId, ['participant.joined']);
  return { contact, conversationId, events };
}

describe('webmessaging-reply', () => {
  it('replies inside the customer’s active web messaging conversation with a user-context credential', async () => {
    const replyClient = newClient(h.emulator, 'agent-user', 'agent-user-secret');
    const engine = new ProactiveEngine({
      rules: testRules([rule()], { settings: { webmessagingReply: { userId: agentId } } }),
      client: h.client,
      ledger: h.openLedger().ledger,
      replyCredential: { userId: agentId, client: replyClient },
    });
    const { contact, conversationId, events } = await liveConversation(0);
    const decisions: Decision[] = [];
    for (const event of events) decisions.push(...(await engine.handleEvent(event)));

    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel]),
      [['sent', 'webmessaging-reply']],
    );
    assert.equal(decisions[0]!.conversationId, conversationId);
    assert.match(decisions[0]!.notes[0] ?? '', /^webmessaging: web messaging cannot receive/);
    assert.equal((await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id).length, 0);

    // The message is in the conversation, written by the agent.
    const view = await h.client.request<Models.MessageConversation>({
      method: 'GET',
      path: `/api/v2/conversations/messages/${conversationId}`,
    });
    const agentLeg = view.body.participants?.find((p) => p.user?.id === agentId && !p.endTime);
    const ids = (agentLeg?.messages ?? []).map((m) => m.messageId!);
    const bulk = await h.client.request<{ entities: { id: string; textBody?: string }[] }>({
      method: 'POST',
      path: `/api/v2/conversations/messages/${conversationId}/messages/bulk`,
      body: ids,
    });
    const ours = bulk.body.entities.filter((m) => m.id === decisions[0]!.messageId);
    assert.equal(ours.length, 1);
    assert.match(
      ours[0]!.textBody ?? '',
      new RegExp(`^Welcome back ${contact.firstName}! Last time: \\d{4}-\\d{2}-\\d{2}\\.$`),
    );
    await replyClient.close();
  });

  it('falls back to the next channel when the credential’s user is not on the conversation', async () => {
    const otherUser = h.emulator.world!.org.users[1]!.id;
    const replyClient = newClient(h.emulator, 'agent-user', 'agent-user-secret');
    const engine = new ProactiveEngine({
      rules: testRules([rule()]),
      client: h.client,
      ledger: h.openLedger().ledger,
      replyCredential: { userId: otherUser, client: replyClient },
    });
    const { contact, events } = await liveConversation(1);
    const decisions: Decision[] = [];
    for (const event of events) decisions.push(...(await engine.handleEvent(event)));
    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel]),
      [['sent', 'sms']],
    );
    assert.match(
      decisions[0]!.notes[1] ?? '',
      new RegExp(`webmessaging-reply: user ${otherUser} is not an active participant`),
    );
    assert.equal((await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id).length, 1);
    await replyClient.close();
  });
});
