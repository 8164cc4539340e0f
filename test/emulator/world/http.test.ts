import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../../src/emulator/index.js';
import { api, createChannel, type ErrorBody, getToken, SocketProbe } from '../helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies
type Json = any;

describe('world over real HTTP and WebSocket', () => {
  let emulator: Emulator;
  let token: string;
  let narrowToken: string;

  before(async () => {
    emulator = await startEmulator({
      seed: 31,
      agents: 6,
      queues: 2,
      contacts: 20,
      historyDays: 2,
      historyConversationsPerDay: 30,
      conversationsPerMinute: 0,
      timeScale: 600,
      clients: [{ clientId: 'queues-only', clientSecret: 'secret-1', permissions: ['routing:queue:view'] }],
    });
    token = await getToken(emulator);
    narrowToken = await getToken(emulator, 'queues-only', 'secret-1');
  });

  after(async () => {
    await emulator?.stop();
  });

  it('serves the org with paging and permissions', async () => {
    const users = await api(emulator, 'GET', '/api/v2/users?pageSize=4', { token });
    assert.equal(users.status, 200);
    assert.equal((users.body as Json).total, 6);
    assert.equal((users.body as Json).entities.length, 4);
    const queues = await api(emulator, 'GET', '/api/v2/routing/queues', { token: narrowToken });
    assert.equal((queues.body as Json).total, 2);
    const contact = await api(
      emulator,
      'GET',
      `/api/v2/externalcontacts/contacts/${emulator.world!.org.contacts[0]!.id}`,
      {
        token: narrowToken,
      },
    );
    assert.equal(contact.status, 403);
    // Reading a contact takes either of two permissions: the platform says "any of".
    assert.equal((contact.body as ErrorBody).code, 'missing.any.permissions');
  });

  it('streams snapshots of a scripted conversation and keeps its wrap-up for GET', async () => {
    const world = emulator.world!;
    const queue = world.org.queues[0]!;
    const channel = await createChannel(emulator, token);
    const probe = await SocketProbe.open(channel.connectUri);
    try {
      const sub = await api(emulator, 'POST', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
        token,
        body: [{ id: `v2.routing.queues.${queue.id}.conversations` }],
      });
      assert.equal(sub.status, 200);
      const started = await api(emulator, 'POST', '/__emulator/conversations', {
        body: {
          kind: 'callback',
          queueId: queue.id,
          durationMs: 60_000,
          transfer: 'none',
          afterCallWork: 'complete',
        },
      });
      assert.equal(started.status, 201);
      const { conversationId } = started.body as { conversationId: string };
      const isOurs = (f: { topicName: string; eventBody: Json }) => f.eventBody.id === conversationId;
      await probe.next(isOurs, 3000);
      // 60 s of handling plus queueing and after-call work at 600× is well under two seconds.
      await probe.next(
        (f) =>
          isOurs(f) &&
          (f.eventBody as Json).participants.some(
            (p: Json) => p.purpose === 'agent' && p.callbacks[0].afterCallWork?.state === 'complete',
          ),
        5000,
      );
      const frames = probe.frames.filter(isOurs);
      assert.equal(frames[0]!.topicName, `v2.routing.queues.${queue.id}.conversations`);
      for (const f of frames)
        assert.ok(!JSON.stringify(f.eventBody).includes('"wrapup"'), 'no wrapup in notifications');
      const rest = await api(emulator, 'GET', `/api/v2/conversations/${conversationId}`, { token });
      assert.equal(rest.status, 200);
      const agent = (rest.body as Json).participants.find(
        (p: Json) => p.purpose === 'agent' && p.connectedTime,
      );
      assert.ok(world.org.wrapupCodeById.has(agent.wrapup.code));
      const truth = await api(emulator, 'GET', '/__emulator/ground-truth');
      const facts = (truth.body as { facts: { conversationId: string; type: string }[] }).facts.filter(
        (f) => f.conversationId === conversationId,
      );
      assert.deepEqual(
        facts.map((f) => f.type),
        [
          'conversation.started',
          'participant.joined',
          'participant.left',
          'conversation.ended',
          'conversation.wrapup',
        ],
      );
    } finally {
      probe.close();
    }
  });

  it('answers analytics and agentless sends with platform-shaped bodies', async () => {
    const world = emulator.world!;
    const now = Date.now();
    const analytics = await api(emulator, 'POST', '/api/v2/analytics/conversations/details/query', {
      token,
      body: {
        interval: `${new Date(now - 3 * 86_400_000).toISOString()}/${new Date(now + 60_000).toISOString()}`,
        order: 'desc',
        paging: { pageSize: 10, pageNumber: 1 },
        segmentFilters: [{ type: 'and', predicates: [{ dimension: 'mediaType', value: 'message' }] }],
      },
    });
    assert.equal(analytics.status, 200);
    assert.ok((analytics.body as Json).totalHits > 5);
    assert.equal((analytics.body as Json).conversations.length, 10);
    const badPage = await api(emulator, 'POST', '/api/v2/analytics/conversations/details/query', {
      token,
      body: { interval: 'yesterday', paging: { pageSize: 10, pageNumber: 1 } },
    });
    assert.equal(badPage.status, 400);
    assert.equal((badPage.body as ErrorBody).code, 'bad.request');
    const sent = await api(emulator, 'POST', '/api/v2/conversations/messages/agentless', {
      token,
      body: {
        fromAddress: world.org.smsNumbers[0]!.phoneNumber,
        toAddress: world.org.contacts[0]!.phone,
        toAddressMessengerType: 'sms',
        textBody: 'Your appointment is tomorrow at 10:00.',
      },
    });
    assert.equal(sent.status, 200, sent.text);
    assert.equal((sent.body as Json).messengerType, 'sms');
    const refused = await api(emulator, 'POST', '/api/v2/conversations/messages/agentless', {
      token,
      body: { fromAddress: 'x', toAddress: 'y', toAddressMessengerType: 'webmessaging', textBody: 'hi' },
    });
    assert.equal(refused.status, 400);
    const outbound = await api(emulator, 'GET', '/__emulator/outbound');
    assert.equal((outbound.body as Json).total, 1);
  });
});
