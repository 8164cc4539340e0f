/**
 * A sink whose receiver is down long enough to pass its bound, under live traffic: the sink keeps everything it
 * was handed, the stream stops reading (policy stop), and once the receiver is back the time not read is
 * backfilled — the receiver ends with every fact that happened.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { EventDispatcher } from '../../src/sinks/dispatcher.js';
import { createWebhookSink } from '../../src/sinks/webhook.js';
import { waitFor } from '../helpers/wait-for.js';
import { startReceiver } from '../sinks/http-receiver.js';
import { recovered, startScenario } from './stream-harness.js';

describe('ConversationStream with a sink past its bound', () => {
  it('stops reading, then backfills the time it did not read: the receiver gets every fact', async () => {
    let down = true;
    const receiver = await startReceiver((_request, response) => {
      response.writeHead(down ? 503 : 200).end();
    });
    // A small bound, so a receiver down for a few seconds of fast traffic passes it.
    const sink = createWebhookSink({
      name: 'hook',
      url: receiver.url,
      secret: 'test-secret',
      concurrency: 8,
      outbox: { capacity: 40, policy: 'stop' },
      retry: { initialDelayMs: 50, maxDelayMs: 250 },
    });
    const sinks = new EventDispatcher([sink]);
    const scenario = await startScenario({}, { sinks });
    try {
      await waitFor(() => scenario.stream.health().intake?.paused, 'the stream to stop reading', {
        timeoutMs: 30_000,
      });
      const paused = scenario.stream.health();
      assert.equal(paused.sinks[0]?.status, 'failed');
      assert.equal(paused.sinks[0]?.dropped, 0);
      // Let the stream skip a while of live traffic before the receiver comes back.
      await waitFor(
        () => (scenario.stream.health().intake?.skippedNotifications ?? 0) > 50,
        'notifications not read while paused',
        { timeoutMs: 30_000 },
      );
      down = false;
      await waitFor(() => !scenario.stream.health().intake?.paused, 'the stream to read again', {
        timeoutMs: 30_000,
      });
      await waitFor(
        () => scenario.stream.health().gaps.last?.reason === 'sinks-full',
        'the time not read to become a gap',
        { timeoutMs: 10_000 },
      );
      scenario.emulator.world!.setTraffic(0);
      await waitFor(() => scenario.emulator.world!.activeConversations === 0, 'every conversation to end', {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      await recovered(scenario.stream);
      assert.equal(await sinks.flush({ timeoutMs: 30_000 }), true, 'the sink delivered its backlog');

      const got = new Map<string, LifecycleEvent>();
      for (const request of receiver.received) {
        if (request.headers['x-switchboard-event-id'] === undefined) continue;
        const event = JSON.parse(request.body) as LifecycleEvent;
        got.set(event.id, event);
      }
      const truth = scenario.emulator.world!.groundTruth();
      const missing = truth.filter((fact) => !got.has(fact.id));
      assert.ok(truth.length > 100, `enough traffic to mean something (${truth.length} facts)`);
      assert.deepEqual(
        missing.slice(0, 5).map((fact) => `${fact.type} ${fact.conversationId}`),
        [],
        `${missing.length} of ${truth.length} facts missing at the receiver`,
      );
      const truthIds = new Set(truth.map((fact) => fact.id));
      assert.deepEqual(
        [...got.keys()].filter((id) => !truthIds.has(id)),
        [],
        'nothing that did not happen',
      );
      const health = scenario.stream.health();
      assert.equal(health.sinks[0]?.dropped, 0);
      assert.equal(health.sinks[0]?.failed, 0);
      assert.ok((health.intake?.pauses ?? 0) >= 1);
    } finally {
      await scenario.stop();
      await sinks.close({ timeoutMs: 1_000 });
      await receiver.close();
    }
  });
});
