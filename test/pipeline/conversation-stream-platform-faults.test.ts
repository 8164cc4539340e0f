import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { createConversationStream } from '../../src/pipeline/conversation-stream.js';
import { createPlatformClient } from '../../src/platform/index.js';
import { openSqliteStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertCovered, FAST_TIMING, settleAndCompare, sleep, startScenario } from './stream-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ConversationStream rides out platform faults', () => {
  it('token revoked: new token, new channel, backfill', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2500);
      assert.ok(scenario.emulator.faults.revokeTokens() >= 1);
      await sleep(4000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(scenario.stream.health().pool?.connected, 'connected on a new channel');
      assert.ok(scenario.stream.health().gaps.total >= 1, 'the revocation was backfilled as a gap');
    } finally {
      await scenario.stop();
    }
  });

  it('5xx on subscribe while recovering from a drop, then a 429 storm: retried, nothing lost', async () => {
    const scenario = await startScenario();
    try {
      await sleep(2000);
      scenario.emulator.faults.failRequests({
        path: '/api/v2/notifications/channels',
        status: 503,
        count: 3,
      });
      scenario.emulator.faults.expireChannels();
      await sleep(3000);
      // Every call meets a 429 asking for a second: the client waits as told, one request at a time.
      scenario.emulator.faults.failRequests({
        path: '/api/v2/',
        status: 429,
        count: 6,
        retryAfterSeconds: 1,
      });
      scenario.emulator.faults.dropSockets();
      await sleep(1000);
      await waitFor(() => scenario.stream.health().pool?.connected === true, 'the pool to reconnect', 20_000);
      await sleep(1000);
      const coverage = await settleAndCompare(scenario);
      assertCovered(coverage);
      assert.ok(scenario.platform.stats().rateLimited >= 1, 'the storm was met');
    } finally {
      await scenario.stop();
    }
  });

  it('more topics than one channel holds: several channels, all facts', async () => {
    const scenario = await startScenario({ queues: 6, agents: 30 }, { plan: { topicsPerChannel: 10 } });
    try {
      const channels = scenario.stream.health().pool?.channels ?? [];
      assert.ok(channels.length >= 4, `36 topics over channels of 10 (${channels.length} channels)`);
      assert.ok(channels.every((channel) => channel.topics <= 10));
      await sleep(2000);
      scenario.emulator.faults.dropSockets();
      await sleep(3000);
      assertCovered(await settleAndCompare(scenario));
    } finally {
      await scenario.stop();
    }
  });

  it('a restart resumes from the checkpoint: nothing repeated, the downtime backfilled', async () => {
    const path = join(dir, 'restart.db');
    const scenario = await startScenario({}, { store: openSqliteStore({ path }), checkpointEveryMs: 500 });
    const second: LifecycleEvent[] = [];
    try {
      await sleep(3000);
      await scenario.stream.stop({ drainMs: 2000 });
      const firstRun = scenario.events.length;
      // Down for a while: traffic goes on, nobody listens.
      await sleep(2500);
      const platform = createPlatformClient({
        region: scenario.emulator.url,
        clientId: 'switchboard-demo',
        clientSecret: 'switchboard-demo-secret',
      });
      const restarted = createConversationStream({
        platform,
        selection: { queues: 'all', users: 'all' },
        timing: FAST_TIMING,
        store: openSqliteStore({ path }),
      });
      restarted.onAny((event) => {
        second.push(event);
      });
      await restarted.start();
      await sleep(2500);
      scenario.emulator.world!.setTraffic(0);
      await sleep(4000);
      await restarted.pipeline.idle();
      await restarted.stop({ drainMs: 2000 });
      await platform.close();

      const truth = scenario.emulator.world!.groundTruth();
      const all = [...scenario.events.slice(0, firstRun), ...second];
      const counts = new Map<string, number>();
      for (const event of all) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
      const missing = truth.filter((fact) => !counts.has(fact.id));
      const repeated = [...counts.values()].filter((count) => count > 1).length;
      assert.ok(truth.length > 50);
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} facts missed across the restart`);
      assert.equal(repeated, 0, 'nothing delivered by the first run was delivered again');
      assert.ok(restarted.health().gaps.total >= 1, 'the downtime was a gap');
    } finally {
      await scenario.platform.close();
      await scenario.emulator.stop();
    }
  });
});
