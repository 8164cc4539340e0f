import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import { conformance } from '../../conformance/check.js';
import { assertPlatformError, call, smallWorld } from './call.js';

const { world, clock, published } = smallWorld({ timeScale: 60 });
const router = new Router();
registerWorldRoutes(router, world);
const history = world.conversations.startedBetween(0, world.now());
const pastVoice = history.find((c) => c.channel === 'voice' && c.recentTransfers.length === 0)!;
const pastMessage = history.find((c) => c.channel === 'whatsapp')!;

describe('GET /api/v2/conversations/{id}', () => {
  it('returns the Conversation model with times, participants, media and wrap-up codes', async () => {
    const res = await call(router, 'GET', `/api/v2/conversations/${pastVoice.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.route.permissions, ['conversation:communication:view']);
    const body = res.json;
    assert.equal(body.id, pastVoice.id);
    assert.equal(body.startTime, new Date(pastVoice.startTime).toISOString());
    assert.equal(body.endTime, new Date(pastVoice.endTime!).toISOString());
    const customer = body.participants.find((p: { purpose: string }) => p.purpose === 'customer');
    assert.ok(customer.calls[0].id && customer.ani && customer.dnis);
    const answered = body.participants.filter(
      (p: { purpose: string; connectedTime?: string }) => p.purpose === 'agent' && p.connectedTime,
    );
    assert.ok(answered.length >= 1);
    for (const agent of answered) {
      assert.ok(world.org.wrapupCodeById.has(agent.wrapup.code), 'wrap-up code present');
      assert.equal(agent.wrapup.name, world.org.wrapupCodeById.get(agent.wrapup.code)!.name);
      assert.ok(agent.queueName);
      assert.equal(agent.userUri, `/api/v2/users/${agent.userId}`);
    }
    assertPlatformError(await call(router, 'GET', '/api/v2/conversations/unknown-id'), 404, 'not.found');
  });
});

describe('message conversations', () => {
  it('lists the messages of each participant', async () => {
    const res = await call(router, 'GET', `/api/v2/conversations/messages/${pastMessage.id}`);
    assert.equal(res.status, 200);
    const customer = res.json.participants.find((p: { purpose: string }) => p.purpose === 'customer');
    assert.equal(customer.type, 'whatsapp');
    assert.ok(customer.messages.length >= 1);
    for (const m of customer.messages) {
      assert.ok(m.messageId && m.messageStatus && m.messageTime);
      assert.match(m.messageTime, /\.\d{3}Z$/);
    }
    assertPlatformError(
      await call(router, 'GET', `/api/v2/conversations/messages/${pastVoice.id}`),
      404,
      'not.found',
    );
  });

  it('fetches message bodies in bulk (at most 1,000 ids)', async () => {
    const view = await call(router, 'GET', `/api/v2/conversations/messages/${pastMessage.id}`);
    const ids = view.json.participants.flatMap((p: { messages?: { messageId: string }[] }) =>
      (p.messages ?? []).map((m) => m.messageId),
    );
    const path = `/api/v2/conversations/messages/${pastMessage.id}/messages/bulk`;
    const res = await call(router, 'POST', path, { body: [...ids, 'not-a-message'] });
    assert.equal(res.status, 200);
    assert.equal(res.json.entities.length, ids.length);
    for (const m of res.json.entities) {
      assert.ok(typeof m.textBody === 'string' && m.textBody.length > 0);
      assert.ok(m.direction === 'inbound' || m.direction === 'outbound');
      assert.equal(m.messengerType, 'whatsapp');
      assert.ok(m.status && m.timestamp);
    }
    assert.ok(res.json.entities.some((m: { direction: string }) => m.direction === 'inbound'));
    assertPlatformError(
      await call(router, 'POST', path, { body: Array.from({ length: 1001 }, (_, i) => `id-${i}`) }),
      400,
      'invalid.value',
    );
    assertPlatformError(await call(router, 'POST', path, { body: { ids } }), 400, 'bad.request');
    assertPlatformError(
      await call(router, 'POST', '/api/v2/conversations/messages/nope/messages/bulk', { body: [] }),
      404,
      'not.found',
    );
  });

  it('lets a participating user send in the conversation, and no one else', async () => {
    const { conversationId } = world.startScriptedConversation({
      kind: 'open',
      durationMs: 600_000,
      transfer: 'none',
      missedAlert: false,
      park: false,
    });
    clock.advance(3_000); // three emulated minutes: the agent has answered
    const conversation = world.conversations.get(conversationId)!;
    const agent = conversation.participants.find(
      (p) => p.purpose === 'agent' && p.comm.state === 'connected',
    )!;
    assert.ok(agent, 'an agent is connected');
    const path = `/api/v2/conversations/messages/${conversationId}/communications/${agent.comm.id}/messages`;
    const send = (caller: { userId?: string }, body: unknown = { textBody: 'We have shipped it.' }) =>
      call(router, 'POST', path, { body, caller });

    const service = await send({});
    assertPlatformError(service, 403, 'not.authorized');
    assert.match(service.json.message, /user context/);
    assert.deepEqual(service.route.permissions, [
      'conversation:message:create',
      'conversation:webmessaging:create',
    ]);
    const other = world.org.users.find((u) => u.id !== agent.userId)!;
    assertPlatformError(await send({ userId: other.id }), 403, 'not.authorized');
    assertPlatformError(await send({ userId: agent.userId! }, { textBody: '' }), 400, 'invalid.value');
    assertPlatformError(
      await call(
        router,
        'POST',
        `/api/v2/conversations/messages/${conversationId}/communications/nope/messages`,
        {
          body: { textBody: 'x' },
          caller: { userId: agent.userId! },
        },
      ),
      404,
      'not.found',
    );
    assertPlatformError(
      await call(
        router,
        'POST',
        `/api/v2/conversations/messages/unknown-id/communications/${agent.comm.id}/messages`,
        {
          body: { textBody: 'x' },
          caller: { userId: agent.userId! },
        },
      ),
      404,
      'not.found',
    );

    const before = published.length;
    const ok = await send({ userId: agent.userId! });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.textBody, 'We have shipped it.');
    assert.equal(ok.json.direction, 'outbound');
    assert.equal(ok.json.messengerType, 'open');
    assert.equal(ok.json.conversationId, conversationId);
    assert.ok(published.length > before, 'the change is published');
    const bulk = await call(
      router,
      'POST',
      `/api/v2/conversations/messages/${conversationId}/messages/bulk`,
      {
        body: [ok.json.id],
      },
    );
    assert.equal(bulk.json.entities[0].textBody, 'We have shipped it.');
    // The conversation ends: the same participant's reply is refused as the platform refuses it, not as a
    // permission problem.
    clock.advance(60_000);
    assert.ok(
      conversation.participants.every((p) => p.comm.state !== 'connected'),
      'the conversation ended',
    );
    const closed = await send({ userId: agent.userId! });
    assertPlatformError(closed, 409, 'conflict');
    assert.equal(
      closed.json.message,
      `Conversation ${conversationId} has ended: no new messages can be sent in it`,
    );
    assert.equal(
      closed.json.messageWithParams,
      'Conversation {conversationId} has ended: no new messages can be sent in it',
    );
    assert.deepEqual(closed.json.messageParams, { conversationId });
    assert.deepEqual(conformance(closed.json, 'ErrorBody'), []);
    // Checks that come first still answer as before.
    assertPlatformError(await send({}), 403, 'not.authorized');
    assertPlatformError(await send({ userId: other.id }), 403, 'not.authorized');
  });

  it('refuses a message on a communication that disconnected while the conversation goes on', async () => {
    const [first, second] = world.org.users;
    const { conversationId } = world.startScriptedConversation({
      kind: 'webmessaging',
      userId: first!.id,
      transferUserId: second!.id,
      transfer: 'blind-user',
      durationMs: 1_200_000,
      missedAlert: false,
      park: false,
    });
    const conversation = world.conversations.get(conversationId)!;
    const leg = () => conversation.participants.find((p) => p.purpose === 'agent' && p.userId === first!.id);
    const send = (communicationId: string) =>
      call(
        router,
        'POST',
        `/api/v2/conversations/messages/${conversationId}/communications/${communicationId}/messages`,
        {
          body: { textBody: 'Are you still there?' },
          caller: { userId: first!.id },
        },
      );
    // Emulated time, a minute at a time, until the first agent has answered.
    for (let i = 0; i < 60 && leg()?.comm.state !== 'connected'; i++) clock.advance(1_000);
    const answered = leg()!;
    assert.equal(answered.comm.state, 'connected');
    assert.equal((await send(answered.comm.id)).status, 200);
    // ... and until the transfer has taken the first agent off the conversation, which goes on with the second.
    for (let i = 0; i < 60 && answered.comm.state === 'connected'; i++) clock.advance(1_000);
    assert.equal(answered.comm.state, 'disconnected');
    assert.ok(
      conversation.participants.some((p) => p.comm.state === 'connected'),
      'the conversation goes on',
    );

    const refused = await send(answered.comm.id);
    assertPlatformError(refused, 409, 'conflict');
    assert.equal(
      refused.json.message,
      `Communication ${answered.comm.id} of conversation ${conversationId} is disconnected: no new messages can be sent on it`,
    );
    assert.deepEqual(refused.json.messageParams, {
      communicationId: answered.comm.id,
      conversationId,
      state: 'disconnected',
    });
    assert.deepEqual(conformance(refused.json, 'ErrorBody'), []);
  });
});
