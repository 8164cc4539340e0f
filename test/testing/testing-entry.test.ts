/**
 * genesys-switchboard/testing as a user meets it: a stream over the emulator delivering into a collecting sink,
 * the traffic stopped, every conversation waited out, and what the sink holds compared with the ground truth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareWithGroundTruth,
  createCollectingSink,
  type GroundTruthFact,
  isComplete,
  startEmulator,
  WaitTimeoutError,
  waitFor,
} from '../../src/entries/testing.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createPlatformClient, EventDispatcher } from '../../src/index.js';
import { createConversationStream } from '../../src/pipeline/conversation-stream.js';

const fact = (id: string): GroundTruthFact =>
  ({
    id,
    type: 'conversation.started',
    conversationId: 'c',
    occurredAt: '',
    mediaType: 'voice',
  }) as GroundTruthFact;

describe('genesys-switchboard/testing', () => {
  it('compares received ids with the ground truth: missing, duplicate and unknown', () => {
    const coverage = compareWithGroundTruth(
      [{ id: 'a' }, { id: 'b' }, { id: 'b' }, { id: 'x' }],
      [fact('a'), fact('b'), fact('c')],
    );
    assert.equal(coverage.truth, 3);
    assert.equal(coverage.received, 4);
    assert.deepEqual(
      coverage.missing.map((missing) => missing.id),
      ['c'],
    );
    assert.deepEqual(coverage.duplicates, [{ id: 'b', count: 2 }]);
    assert.deepEqual(coverage.unknown, ['x']);
    assert.equal(isComplete(coverage), false);
    assert.equal(isComplete(compareWithGroundTruth([{ id: 'a' }], [fact('a')])), true);
  });

  it('the collecting sink keeps what it is given, counts it, and refuses after close', async () => {
    const sink = createCollectingSink({ name: 'mine' });
    const event = { id: 'e1' } as LifecycleEvent;
    assert.equal(sink.write(event), true);
    assert.deepEqual(sink.events, [event]);
    assert.equal(sink.health().delivered, 1);
    assert.equal(await sink.flush(), true);
    sink.clear();
    assert.equal(sink.events.length, 0);
    await sink.close();
    assert.equal(sink.health().status, 'closed');
    assert.throws(() => sink.write(event), /closed/);
  });

  it('waitFor rejects naming what it waited for', async () => {
    await assert.rejects(
      waitFor(() => false, 'nothing', { timeoutMs: 20, intervalMs: 5 }),
      WaitTimeoutError,
    );
  });

  it('a stream over the emulator into a collecting sink receives every fact once', async () => {
    const emulator = await startEmulator({
      port: 0,
      seed: 5,
      timeScale: 120,
      conversationsPerMinute: 10,
      historyDays: 0,
      analyticsLagMs: 200,
      analyticsLagJitterMs: 200,
    });
    const platform = createPlatformClient({
      region: emulator.url,
      clientId: 'switchboard-demo',
      clientSecret: 'switchboard-demo-secret',
    });
    const sink = createCollectingSink();
    const stream = createConversationStream({
      platform,
      selection: { queues: 'all', users: 'all' },
      sinks: new EventDispatcher([sink]),
      lookups: { firstLookAfterMs: 1000 },
      backfillSettings: { settleMs: 1000 },
    });
    try {
      await stream.start();
      const world = emulator.world!;
      await waitFor(() => sink.events.length >= 20, 'some events', 20_000);
      world.setTraffic(0);
      await waitFor(() => world.activeConversations === 0, 'every conversation to end', 30_000);
      const coverage = await waitFor(
        () => {
          const now = compareWithGroundTruth(sink.events, world.groundTruth());
          return isComplete(now) ? now : undefined;
        },
        'every fact received once',
        { timeoutMs: 15_000, intervalMs: 100 },
      ).catch(() => compareWithGroundTruth(sink.events, world.groundTruth()));
      assert.ok(coverage.truth >= 20, `${coverage.truth} facts`);
      assert.deepEqual(
        coverage.missing.slice(0, 5).map((missing) => `${missing.type} ${missing.conversationId}`),
        [],
      );
      assert.deepEqual(coverage.duplicates, []);
      assert.deepEqual(coverage.unknown, []);
    } finally {
      await stream.stop({ drainMs: 1000 });
      await platform.close();
      await emulator.stop();
    }
  });
});
