/**
 * The backfiller against the emulator over real HTTP, through the platform client and its paced budget: tracked
 * conversations read back in batches, conversations that started in the gap found and derived from their records,
 * misses looked for again, failures and truncations retried or split, progress reported, and open recovery carried
 * through a checkpoint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/index.js';
import {
  Backfiller,
  type BackfillerOptions,
  type RecoveredConversation,
} from '../../src/stream/backfiller.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import type { Gap } from '../../src/stream/status.js';
import { queueTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';

interface Calls {
  multiGets: number[];
  multiGetAt: number[];
  queries: number;
  rest: number;
}

/** The port over the platform client, counting what the backfiller asks of it. */
function countingPort(client: PlatformClient): { port: NotificationsPort; calls: Calls } {
  const inner = createNotificationsPort(client);
  const calls: Calls = { multiGets: [], multiGetAt: [], queries: 0, rest: 0 };
  return {
    calls,
    port: {
      ...inner,
      getConversationDetails: (ids, purpose) => {
        calls.multiGets.push(ids.length);
        calls.multiGetAt.push(Date.now());
        return inner.getConversationDetails(ids, purpose);
      },
      queryConversationDetails: (query) => {
        calls.queries++;
        return inner.queryConversationDetails(query);
      },
      getConversation: (id, purpose) => {
        calls.rest++;
        return inner.getConversation(id, purpose);
      },
    },
  };
}

describe('Backfiller', () => {
  let emulator: Emulator;
  let client: PlatformClient;
  before(async () => {
    // Analytics a short second behind, so the tests wait little; the lag itself is what the settle time is for.
    emulator = await startEmulator({
      seed: 31,
      agents: 20,
      queues: 3,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 120,
      analyticsLagMs: 300,
      analyticsLagJitterMs: 200,
    });
    client = createPlatformClient({
      region: emulator.url,
      clientId: 'switchboard-demo',
      clientSecret: 'switchboard-demo-secret',
      retry: { initialDelayMs: 20, maxDelayMs: 200 },
    });
  });
  after(async () => {
    await client.close();
    await emulator.stop();
  });

  const queues = () => emulator.world!.org.queues.map((q) => queueTopic(q.id));
  const script = async (n: number, extra: Record<string, unknown> = {}): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        emulator.world!.startScriptedConversation({
          kind: 'voice',
          transfer: 'none',
          durationMs: 600_000,
          ...extra,
        }).conversationId,
      );
    return ids;
  };
  const gapAround = (startMs: number, endMs: number, topics = queues()): Gap => ({
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    topics,
    reason: 'disconnected',
  });
  const backfiller = (
    port: NotificationsPort,
    options: Partial<BackfillerOptions> & Pick<BackfillerOptions, 'trackedConversations'>,
  ) => {
    const recovered: RecoveredConversation[] = [];
    const b = new Backfiller({
      port,
      onRecovered: (r) => {
        recovered.push(r);
      },
      settleMs: 1000,
      retryDelayMs: 200,
      coalesceMs: 20,
      currentTopics: queues,
      ...options,
    });
    return { b, recovered };
  };

  it('reads back 250 followed conversations in three calls, and finds the ones that started in the gap', async () => {
    const { port, calls } = countingPort(client);
    const before = Date.now();
    const tracked = await script(250);
    const inGap = await script(40);
    const { b, recovered } = backfiller(port, { trackedConversations: () => tracked });
    b.enqueue(gapAround(before, Date.now()));
    await b.idle();
    assert.deepEqual(calls.multiGets, [100, 100, 50]);
    assert.equal(calls.rest, 0);
    const viaRecords = new Set(recovered.filter((r) => r.analytics).map((r) => r.conversationId));
    for (const id of [...tracked, ...inGap]) assert.ok(viaRecords.has(id), `${id} recovered`);
    assert.ok(recovered.every((r) => r.source.kind === 'backfill' && r.source.via === 'analytics'));
    const progress = b.progress();
    assert.equal(progress.openGaps, 0);
    assert.equal(progress.conversationsPending, 0);
    assert.equal(progress.totals.windows, 1);
  });

  it('reads nothing before analytics has had its settle time, and looks again for what it did not show', async () => {
    const { port, calls } = countingPort(client);
    const [id] = await script(1);
    // Analytics five seconds behind, the backfiller waiting only one: the first read misses the conversation.
    emulator.world!.settings.analyticsLagMs = 5000;
    try {
      const fresh = (await script(1))[0]!;
      const { b, recovered } = backfiller(port, {
        trackedConversations: () => [id!, fresh],
        retryDelayMs: 1000,
      });
      const gapEnd = Date.now();
      b.enqueue(gapAround(gapEnd - 1000, gapEnd));
      await waitFor(
        () => b.progress().conversationsPending >= 1,
        'a conversation analytics did not show yet',
        5000,
      );
      assert.ok(calls.multiGetAt[0]! - gapEnd >= 1000, 'the first read waited for the settle time');
      await b.idle();
      assert.ok(
        recovered.some((r) => r.conversationId === fresh && r.analytics),
        'found once analytics caught up',
      );
      assert.ok(calls.multiGets.length >= 2);
      assert.equal(calls.rest, 0);
    } finally {
      emulator.world!.settings.analyticsLagMs = 300;
    }
  });

  it('looks back before the gap for a conversation that started earlier and reached its queue during it', async () => {
    // A call starts in the IVR and shows on its queue's topic only once it is queued: it can start well before a gap
    // (more than the margin) and first show during it. Nothing follows it yet; only the search can find it.
    const { port } = countingPort(client);
    const [id] = await script(1);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the IVR (8–45 emulated seconds) is over
    const gapStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const gap = gapAround(gapStart, Date.now());
    const found = (r: RecoveredConversation) => r.conversationId === id && r.analytics !== undefined;

    const withLookback = backfiller(port, { trackedConversations: () => [], marginMs: 100 });
    withLookback.b.enqueue(gap);
    await withLookback.b.idle();
    assert.ok(withLookback.recovered.some(found), 'found by the search, which looks back two minutes');

    const withoutLookback = backfiller(port, {
      trackedConversations: () => [],
      marginMs: 100,
      lookbackMs: 100,
    });
    withoutLookback.b.enqueue(gap);
    await withoutLookback.b.idle();
    assert.ok(!withoutLookback.recovered.some(found), 'a search from the margin alone misses it');
  });

  it('reads a conversation over REST only when analytics never shows it within the horizon', async () => {
    const { port, calls } = countingPort(client);
    emulator.world!.settings.analyticsLagMs = 3_600_000;
    try {
      const [id] = await script(1);
      const { b, recovered } = backfiller(port, { trackedConversations: () => [id!], horizonMs: 2000 });
      b.enqueue(gapAround(Date.now() - 1000, Date.now()));
      await b.idle();
      assert.equal(calls.rest, 1);
      const rest = recovered.find((r) => r.conversationId === id && r.conversation);
      assert.ok(rest, 'recovered from the REST view');
      assert.equal(rest.source.via, 'conversation');
    } finally {
      emulator.world!.settings.analyticsLagMs = 300;
    }
  });

  it('keeps a gap open when its query fails, and recovers it on a later try', async () => {
    const { port } = countingPort(client);
    const start = Date.now();
    const ids = await script(5);
    emulator.faults.failRequests({
      path: '/api/v2/analytics/conversations/details/query',
      status: 503,
      count: 12,
    });
    const reports: boolean[] = [];
    const { b, recovered } = backfiller(port, {
      trackedConversations: () => [],
      onReport: (_report, complete) => reports.push(complete),
    });
    b.enqueue(gapAround(start, Date.now()));
    await waitFor(() => reports.includes(false), 'a failed try', 20_000);
    assert.equal(b.progress().openGaps, 1, 'the gap stays open');
    assert.ok(b.progress().oldestUnrecovered);
    await b.idle();
    assert.equal(reports.at(-1), true);
    for (const id of ids) assert.ok(recovered.some((r) => r.conversationId === id));
  });

  it('reads on past what one query pages through from the last start it read, reading no page twice', async () => {
    const { port, calls } = countingPort(client);
    const start = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(...(await script(1)));
      await new Promise((resolve) => setTimeout(resolve, 2)); // each its own start
    }
    const { b, recovered } = backfiller(port, {
      trackedConversations: () => [],
      pageSize: 10,
      maxPages: 2,
      marginMs: 1,
      lookbackMs: 1,
    });
    b.enqueue(gapAround(start, Date.now()));
    await b.idle();
    assert.equal(b.progress().last?.splits, 3, 'read on three times');
    // Each query reads 19 new conversations and the last one again (it may have companions of the same start).
    assert.equal(calls.queries, 7, '2 + 2 + 2 pages, then the last 3 in one');
    for (const id of ids)
      assert.equal(recovered.filter((r) => r.conversationId === id).length, 1, `${id} found once`);
  });

  it('searches a window over many queues and users without a filter, keeping only the conversations on them', async () => {
    const { port, calls } = countingPort(client);
    const org = emulator.world!.org;
    const start = Date.now();
    const [onFirst] = await script(1, { queueId: org.queues[0]!.id });
    const [onSecond] = await script(1, { queueId: org.queues[1]!.id });
    // A window over the first queue and three users who do not serve the second: more topics than one query names.
    const users = org.users.filter((u) => !u.queueIds.includes(org.queues[1]!.id)).slice(0, 3);
    const topics = [queueTopic(org.queues[0]!.id), ...users.map((u) => `v2.users.${u.id}.conversations`)];
    // A window of this test's conversations alone: the earlier tests' stay out of the query's pages.
    const { b, recovered } = backfiller(port, {
      trackedConversations: () => [],
      predicatesPerQuery: 2,
      marginMs: 1,
      lookbackMs: 1,
    });
    b.enqueue(gapAround(start, Date.now(), topics));
    await b.idle();
    assert.equal(calls.queries, 1, 'one unfiltered query, not one per two topics');
    assert.ok(
      recovered.some((r) => r.conversationId === onFirst),
      'the conversation on the window’s queue',
    );
    assert.ok(!recovered.some((r) => r.conversationId === onSecond), 'not the one on another queue');
  });

  it('searches a gap on per-media topics by their queue, as it does one on the aggregate topic', async () => {
    const { port, calls } = countingPort(client);
    const org = emulator.world!.org;
    const start = Date.now();
    const [onFirst] = await script(1, { queueId: org.queues[0]!.id });
    const [onSecond] = await script(1, { queueId: org.queues[1]!.id });
    const topics = [`${queueTopic(org.queues[0]!.id)}.calls`, `${queueTopic(org.queues[0]!.id)}.messages`];
    const { b, recovered } = backfiller(port, {
      trackedConversations: () => [],
      currentTopics: () => topics,
      marginMs: 1,
      lookbackMs: 1,
    });
    b.enqueue(gapAround(start, Date.now(), topics));
    await b.idle();
    assert.equal(calls.queries, 1);
    assert.ok(
      recovered.some((r) => r.conversationId === onFirst),
      'the conversation on the per-media topics’ queue',
    );
    assert.ok(!recovered.some((r) => r.conversationId === onSecond), 'not the one on another queue');
  });

  it('hands open recovery to a checkpoint, and the next run takes it up on the topics covered then', async () => {
    const { port } = countingPort(client);
    const start = Date.now();
    const ids = await script(4);
    const first = backfiller(port, { trackedConversations: () => [], settleMs: 60_000 });
    first.b.enqueue(gapAround(start, Date.now()));
    await waitFor(() => first.b.exportState().gaps.length === 1, 'the gap to be queued', 2000);
    const state = first.b.exportState();
    first.b.stop();
    assert.equal(first.recovered.length, 0, 'nothing read before the settle time');
    const next = backfiller(port, { trackedConversations: () => [] });
    next.b.importState(state);
    await next.b.idle();
    for (const id of ids)
      assert.ok(
        next.recovered.some((r) => r.conversationId === id),
        `${id} recovered after the restart`,
      );
  });
});
