import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import { assertPlatformError, call, smallWorld } from './call.js';

const { world, clock, published } = smallWorld({ historyDays: 0, timeScale: 60 });
const router = new Router();
registerWorldRoutes(router, world);

describe('admin routes', () => {
  it('starts scripted conversations without a token and refuses bad scripts', async () => {
    const contactId = world.org.returningWebMessagingContactIds[0]!;
    const res = await call(router, 'POST', '/__emulator/conversations', {
      body: { kind: 'webmessaging', externalContactId: contactId, durationMs: 120_000 },
    });
    assert.equal(res.status, 201);
    assert.equal(res.route.auth, false);
    assert.ok(world.conversations.get(res.json.conversationId));
    const bad = await call(router, 'POST', '/__emulator/conversations', {
      body: { kind: 'webmessaging', queueId: 'x' },
    });
    assertPlatformError(bad, 400, 'invalid.value');
    assert.match(bad.json.message, /queueId/);
    assertPlatformError(
      await call(router, 'POST', '/__emulator/conversations', { body: 'voice' }),
      400,
      'invalid.value',
    );
    clock.advance(3_600_000);
  });

  it('serves ground truth with since/until windows', async () => {
    const all = await call(router, 'GET', '/__emulator/ground-truth');
    assert.equal(all.status, 200);
    assert.equal(all.route.auth, false);
    assert.equal(all.json.total, all.json.facts.length);
    const types = all.json.facts.map((f: { type: string }) => f.type);
    assert.equal(types[0], 'conversation.started');
    assert.ok(types.includes('conversation.ended'));
    const joined = all.json.facts.find((f: { type: string }) => f.type === 'participant.joined');
    const since = await call(router, 'GET', '/__emulator/ground-truth', {
      query: { since: joined.occurredAt },
    });
    assert.ok(since.json.facts.every((f: { occurredAt: string }) => f.occurredAt >= joined.occurredAt));
    assert.ok(since.json.total < all.json.total);
    const until = await call(router, 'GET', '/__emulator/ground-truth', {
      query: { until: joined.occurredAt },
    });
    assert.ok(until.json.facts.every((f: { occurredAt: string }) => f.occurredAt <= joined.occurredAt));
    assert.equal(until.json.facts.at(-1).id, joined.id);
    assertPlatformError(
      await call(router, 'GET', '/__emulator/ground-truth', { query: { since: 'yesterday' } }),
      400,
      'invalid.value',
    );
  });

  it('lists accepted agentless sends', async () => {
    await call(router, 'POST', '/api/v2/conversations/messages/agentless', {
      body: {
        fromAddress: world.org.openIntegration.id,
        toAddress: 'visitor-1',
        toAddressMessengerType: 'open',
        textBody: 'hello',
      },
    });
    const res = await call(router, 'GET', '/__emulator/outbound');
    assert.equal(res.json.total, 1);
    assert.equal(res.json.sends[0].toAddress, 'visitor-1');
    assert.equal(res.json.sends[0].clientId, 'test-client');
  });

  it('changes the traffic rate and bursts notifications', async () => {
    assertPlatformError(
      await call(router, 'POST', '/__emulator/traffic', { body: { conversationsPerMinute: -2 } }),
      400,
      'invalid.value',
    );
    const traffic = await call(router, 'POST', '/__emulator/traffic', {
      body: { conversationsPerMinute: 0 },
    });
    assert.deepEqual(traffic.json, { conversationsPerMinute: 0 });
    const before = published.length;
    const burst = await call(router, 'POST', '/__emulator/burst', { body: { n: 40 } });
    assert.deepEqual(burst.json, { published: 40 });
    assert.equal(published.length - before, 40);
    assertPlatformError(
      await call(router, 'POST', '/__emulator/burst', { body: { n: 0 } }),
      400,
      'invalid.value',
    );
  });
});
