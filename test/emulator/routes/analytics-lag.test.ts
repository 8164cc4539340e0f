/**
 * Analytics is eventually consistent: the emulator's records lag what notifications show, change by change and in
 * order, in the details query, the multi-get and the single read alike.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import { assertPlatformError, call, smallWorld } from './call.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read as JSON
type Json = any;

function lagWorld(analyticsLagMs: number, analyticsLagJitterMs: number) {
  const { world, clock } = smallWorld({
    historyDays: 1,
    historyConversationsPerDay: 20,
    timeScale: 60,
    analyticsLagMs,
    analyticsLagJitterMs,
  });
  const router = new Router();
  registerWorldRoutes(router, world);
  return { world, clock, router };
}

const multiGet = (router: Router, ids: string[]) =>
  call(router, 'GET', `/api/v2/analytics/conversations/details?${ids.map((id) => `id=${id}`).join('&')}`);

describe('analytics lag', () => {
  it('finds a new conversation only after the lag, and shows its end only after the lag of that change', async () => {
    const { world, clock, router } = lagWorld(4000, 0);
    const { conversationId } = world.startScriptedConversation({
      kind: 'voice',
      transfer: 'none',
      durationMs: 60_000,
    });
    const interval = `${new Date(clock.now() - 60_000).toISOString()}/${new Date(clock.now() + 3_600_000).toISOString()}`;

    assert.deepEqual((await multiGet(router, [conversationId])).json, { conversations: [] });
    assertPlatformError(
      await call(router, 'GET', `/api/v2/analytics/conversations/${conversationId}/details`),
      404,
      'not.found',
    );
    const early = await call(router, 'POST', '/api/v2/analytics/conversations/details/query', {
      body: { interval },
    });
    assert.ok(!(early.json.conversations ?? []).some((c: Json) => c.conversationId === conversationId));

    clock.advance(4000);
    const found = (await multiGet(router, [conversationId])).json.conversations;
    assert.equal(found.length, 1);
    assert.equal(found[0].conversationEnd, undefined, 'still in progress when first seen');

    // Run the clock until the conversation ends: its end shows in analytics only the lag later.
    const conversation = world.conversations.get(conversationId)!;
    while (conversation.endTime === undefined) clock.advance(50);
    const ended = conversation.endTime;
    const stale = (await multiGet(router, [conversationId])).json.conversations[0];
    assert.equal(stale.conversationEnd, undefined, 'the end is not visible yet');
    clock.advance(ended + 4000 - clock.now());
    const fresh = (await multiGet(router, [conversationId])).json.conversations[0];
    assert.equal(fresh.conversationEnd, new Date(ended).toISOString());
    const single = await call(router, 'GET', `/api/v2/analytics/conversations/${conversationId}/details`);
    assert.equal(single.json.conversationEnd, fresh.conversationEnd);
  });

  it('shows seeded history at once and leaves unknown ids out of the multi-get', async () => {
    const { world, router } = lagWorld(10_000, 5000);
    const history = world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER).slice(0, 3);
    const ids = [...history.map((c) => c.id), '00000000-0000-4000-8000-000000000000'];
    const found = (await multiGet(router, ids)).json.conversations.map((c: Json) => c.conversationId);
    assert.deepEqual(found.sort(), history.map((c) => c.id).sort());
  });

  it('refuses a multi-get with no id or more ids than it takes', async () => {
    const { world, router } = lagWorld(0, 0);
    assertPlatformError(
      await call(router, 'GET', '/api/v2/analytics/conversations/details'),
      400,
      'bad.request',
    );
    const many = Array.from({ length: world.settings.analyticsMultiGetMax + 1 }, (_, i) => `id-${i}`);
    const refused = await multiGet(router, many);
    assertPlatformError(refused, 400, 'bad.request');
    assert.equal(refused.json.messageParams.max, String(world.settings.analyticsMultiGetMax));
  });
});
