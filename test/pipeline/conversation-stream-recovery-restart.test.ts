/**
 * A gap whose recovery fails stays open, is kept in the checkpoint, and is recovered by the next run: a process that
 * dies while analytics is failing does not lose what happened in the gap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { createConversationStream, type StreamCheckpoint } from '../../src/pipeline/conversation-stream.js';
import { openStore } from '../../src/store/index.js';
import { waitFor, waitForAsync } from '../helpers/wait-for.js';
import { FAST_TIMING, recovered, startScenario } from './stream-harness.js';

describe('ConversationStream: a gap whose recovery failed, then a restart', () => {
  it('the next run recovers the gap from the checkpoint: its facts still arrive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-recovery-restart-'));
    const store = await openStore(join(dir, 'switchboard.db'));
    const reports: boolean[] = [];
    const scenario = await startScenario(
      {},
      {
        store,
        checkpointEveryMs: 300,
        onBackfill: (_report, complete) => reports.push(complete),
      },
    );
    const events: LifecycleEvent[] = scenario.events;
    let second: ReturnType<typeof createConversationStream> | undefined;
    try {
      await waitFor(() => events.length > 20, 'live traffic', { timeoutMs: 20_000 });
      // Analytics fails from now on: neither the gap's query nor its read-back can succeed in this run.
      scenario.emulator.faults.failRequests({
        path: '/api/v2/analytics/conversations/details',
        status: 503,
        count: 100_000,
      });
      scenario.emulator.faults.stopHeartbeats(3);
      await waitFor(() => reports.includes(false), 'a recovery that failed', { timeoutMs: 60_000 });
      const gapEnd = Date.parse(scenario.stream.health().gaps.last?.end ?? '');
      // A checkpoint written after the gap, covering past it, with the gap still open in it.
      const kept = await waitForAsync(
        async () => {
          const stored = (await store.getCheckpoint<StreamCheckpoint>('stream'))?.value;
          return stored && (stored.coveredUntil ?? 0) > gapEnd && stored.recovery.gaps.length > 0
            ? stored
            : undefined;
        },
        'a checkpoint that keeps the open gap',
        { timeoutMs: 20_000 },
      );
      assert.ok(kept.recovery.gaps.some((gap) => gap.start < gapEnd));
      // The process dies: nothing more is written (a graceful stop would write its own last checkpoint).
      await scenario.stream.stop({ checkpoint: false, drainMs: 0 });
      scenario.emulator.faults.clearRequestFaults();

      second = createConversationStream({
        platform: scenario.platform,
        selection: { queues: 'all', users: 'all' },
        timing: FAST_TIMING,
        lookups: { firstLookAfterMs: 1500 },
        backfillSettings: { settleMs: 1500 },
        store,
        onBackfill: (_report, complete) => reports.push(complete),
      });
      second.onAny((event) => {
        events.push(event);
      });
      await second.start();
      scenario.emulator.world!.setTraffic(0);
      await waitFor(() => scenario.emulator.world!.activeConversations === 0, 'every conversation to end', {
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      await recovered(second);
      assert.equal(second.health().gaps.recovery?.openGaps, 0, 'nothing left open');

      const truth = scenario.emulator.world!.groundTruth();
      const seen = new Set(events.map((event) => event.id));
      const missing = truth.filter((fact) => !seen.has(fact.id));
      assert.ok(truth.length > 50, `enough traffic to mean something (${truth.length} facts)`);
      assert.deepEqual(
        missing.slice(0, 5).map((fact) => `${fact.type} ${fact.conversationId} ${fact.occurredAt}`),
        [],
        `${missing.length} of ${truth.length} facts missing`,
      );
      const truthIds = new Set(truth.map((fact) => fact.id));
      assert.deepEqual(
        events.filter((event) => !truthIds.has(event.id)).map((event) => event.type),
        [],
        'nothing that did not happen',
      );
    } finally {
      await second?.stop({ drainMs: 500 });
      await scenario.platform.close();
      await scenario.emulator.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
