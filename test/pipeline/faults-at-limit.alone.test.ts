/**
 * Seven faults in a row, under the load of a large contact centre, at the platform's default limits: 300 requests a
 * minute for the token (emulator and client alike), analytics a few seconds behind, about 1,100 new conversations
 * a minute. The events must cover the ground truth — every fact, once, nothing else — within two minutes after the
 * last fault. (Runs alone: it loads the machine for a few minutes.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocketSource } from '../../src/stream/websocket-source.js';
import { assertCovered, type Coverage, recovered, sleep, startScenario } from './stream-harness.js';

/** What has been delivered against the ground truth so far (facts still to happen do not count yet). */
function coverageNow(scenario: Awaited<ReturnType<typeof startScenario>>): Coverage {
  const truth = scenario.emulator.world!.groundTruth();
  const seen = new Map<string, number>();
  for (const event of scenario.events) seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
  const truthIds = new Set(truth.map((fact) => fact.id));
  return {
    truth: truth.length,
    delivered: scenario.events.length,
    missing: truth
      .filter((fact) => !seen.has(fact.id))
      .map((fact) => ({ type: fact.type, conversationId: fact.conversationId, occurredAt: fact.occurredAt })),
    duplicates: [...seen.values()].filter((count) => count > 1).length,
    unknown: scenario.events.filter((event) => !truthIds.has(event.id)).length,
  };
}

describe('ConversationStream at the default rate limit', () => {
  it('survives seven faults in a row under load, complete within two minutes of the last', async () => {
    const scenario = await startScenario(
      {
        // 55 a minute at 20× is about 1,100 new conversations a real minute, a few hundred live at once.
        timeScale: 20,
        conversationsPerMinute: 55,
        queues: 8,
        agents: 60,
        // The platform's defaults: 300 requests a minute, analytics 3 s (plus up to 2 s) behind.
        rateLimitPerMinute: 300,
        analyticsLagMs: 3000,
        analyticsLagJitterMs: 2000,
      },
      // The client's defaults: 300 a minute, first look for a code after 5 s, recovery 10 s after a gap.
      { lookups: {}, backfillSettings: {} },
    );
    const faults = scenario.emulator.faults;
    try {
      await sleep(8000);
      const sequence: Array<[string, () => void]> = [
        ['sockets dropped', () => faults.dropSockets()],
        ['heartbeats stopped', () => faults.stopHeartbeats(3)],
        ['socket_closing', () => faults.socketClosing(2000)],
        ['channels expired', () => faults.expireChannels()],
        ['tokens revoked', () => faults.revokeTokens()],
        [
          '503s on subscribe',
          () => {
            faults.failRequests({ pathPattern: '/subscriptions$', status: 503, count: 3 });
            faults.expireChannels();
          },
        ],
        [
          '429s on analytics',
          () =>
            faults.failRequests({ path: '/api/v2/analytics/', status: 429, count: 5, retryAfterSeconds: 2 }),
        ],
      ];
      for (const [, inject] of sequence) {
        inject();
        await sleep(11_000);
      }
      const lastFault = Date.now();
      scenario.emulator.world!.setTraffic(0);

      // Complete within two minutes of the last fault: every fact so far delivered, and nothing left to recover.
      let coverage = coverageNow(scenario);
      while (Date.now() - lastFault < 120_000) {
        coverage = coverageNow(scenario);
        const backfiller = (scenario.stream.source as WebSocketSource).backfiller;
        if (
          coverage.missing.length === 0 &&
          scenario.emulator.world!.activeConversations === 0 &&
          !backfiller?.busy
        )
          break;
        await sleep(1000);
      }
      const completeAfterMs = Date.now() - lastFault;
      await recovered(scenario.stream);
      coverage = coverageNow(scenario);
      const health = scenario.stream.health();
      const budget = scenario.platform.stats().budget.purposes;
      console.log(
        `facts ${coverage.truth}, delivered ${coverage.delivered}, complete ${Math.round(completeAfterMs / 1000)} s after the last fault; ` +
          `${scenario.platform.stats().requests} requests, 429s ${scenario.platform.stats().rateLimited}, ` +
          `channel wait p99 ${budget.channel.recentWait.p99} ms, gaps ${health.gaps.total}`,
      );
      assertCovered(coverage);
      assert.ok(
        completeAfterMs < 120_000,
        `complete ${Math.round(completeAfterMs / 1000)} s after the last fault`,
      );
      assert.ok(health.gaps.total >= 5, `the faults were gaps (${health.gaps.total})`);
      assert.ok(health.pool?.connected, 'connected at the end');
    } finally {
      await scenario.stop();
    }
  });
});
