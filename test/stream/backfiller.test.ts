import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Backfiller, type RecoveredConversation } from '../../src/stream/backfiller.js';
import type { Gap } from '../../src/stream/status.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function platformWith(conversations: string[]): Promise<FakePlatform> {
  const platform = await FakePlatform.start();
  cleanups.push(() => platform.stop());
  for (const id of conversations) platform.conversations.set(id, { id, participants: [] });
  return platform;
}

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const gap = (startMs: number, endMs: number, topics: string[]): Gap => ({
  start: iso(startMs),
  end: iso(endMs),
  topics,
  reason: 'disconnected',
});

interface QueryBody {
  interval: string;
  order: string;
  orderBy: string;
  paging: { pageSize: number; pageNumber: number };
  segmentFilters: Array<{ type: string; predicates: Array<{ dimension: string; value: string }> }>;
}

describe('Backfiller', () => {
  it('refreshes tracked conversations and finds new ones on the gap queues and users, all pages', async () => {
    const ids = ['t-1', 't-2', 'a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'u-conv', 'elsewhere'];
    const platform = await platformWith(ids);
    platform.analyticsConversations = [
      ...['a-1', 'a-2', 'a-3', 'a-4', 'a-5'].map((id, i) => ({
        conversationId: id,
        conversationStart: iso(1000 + i),
        queueId: 'q1',
      })),
      // Tracked already: found again, delivered once.
      { conversationId: 't-1', conversationStart: iso(1500), queueId: 'q1' },
      { conversationId: 'u-conv', conversationStart: iso(2000), userId: 'user-7' },
      { conversationId: 'elsewhere', conversationStart: iso(2000), queueId: 'q-other' },
      // Outside the widened gap.
      { conversationId: 'a-1', conversationStart: iso(-120_000), queueId: 'q1' },
    ];
    const recovered: RecoveredConversation[] = [];
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => ['t-1', 't-2'],
      onRecovered: (r) => {
        recovered.push(r);
      },
      marginMs: 30_000,
      pageSize: 2,
    });
    const report = await backfiller.run([gap(0, 5000, [queueTopic('q1'), userTopic('user-7')])]);

    const queries = platform.callsTo(/details\/query$/).map((c) => c.body as QueryBody);
    assert.equal(queries.length, 4, '7 hits at 2 a page');
    assert.deepEqual(
      queries.map((q) => q.paging.pageNumber),
      [1, 2, 3, 4],
    );
    assert.equal(queries[0]!.interval, `${iso(-30_000)}/${iso(35_000)}`);
    assert.equal(queries[0]!.orderBy, 'conversationStart');
    assert.deepEqual(queries[0]!.segmentFilters, [
      {
        type: 'or',
        predicates: [
          { type: 'dimension', dimension: 'queueId', value: 'q1' },
          { type: 'dimension', dimension: 'userId', value: 'user-7' },
        ],
      },
    ]);
    assert.deepEqual(
      recovered.map((r) => [r.conversationId, r.source.via]),
      [
        ['t-1', 'conversation'],
        ['t-2', 'conversation'],
        ['a-1', 'analytics'],
        ['a-2', 'analytics'],
        ['a-3', 'analytics'],
        ['a-4', 'analytics'],
        ['a-5', 'analytics'],
        ['u-conv', 'analytics'],
      ],
    );
    const a1 = recovered.find((r) => r.conversationId === 'a-1')!;
    assert.deepEqual(a1.conversation, { id: 'a-1', participants: [] });
    assert.equal(a1.analytics?.queueId, 'q1');
    assert.deepEqual(a1.source, {
      kind: 'backfill',
      via: 'analytics',
      gapStart: iso(-30_000),
      gapEnd: iso(35_000),
    });
    assert.deepEqual(recovered[0]!.source, {
      kind: 'backfill',
      via: 'conversation',
      gapStart: iso(0),
      gapEnd: iso(5000),
    });
    assert.deepEqual(
      {
        refreshed: report.refreshed,
        found: report.found,
        queries: report.queries,
        failures: report.failures,
      },
      { refreshed: 2, found: 6, queries: 4, failures: 0 },
    );
  });

  it('cuts a long gap into short query intervals', async () => {
    const platform = await platformWith([]);
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => [],
      onRecovered: () => {},
      marginMs: 0,
      maxIntervalMs: 3600_000,
    });
    await backfiller.run([gap(0, 2.5 * 3600_000, [queueTopic('q1')])]);
    const intervals = platform.callsTo(/details\/query$/).map((c) => (c.body as QueryBody).interval);
    assert.deepEqual(intervals, [
      `${iso(0)}/${iso(3600_000)}`,
      `${iso(3600_000)}/${iso(7200_000)}`,
      `${iso(7200_000)}/${iso(9000_000)}`,
    ]);
  });

  it('splits many queues over several queries', async () => {
    const platform = await platformWith([]);
    const topics = Array.from({ length: 7 }, (_, i) => queueTopic(`q${i}`));
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => [],
      onRecovered: () => {},
      predicatesPerQuery: 3,
    });
    await backfiller.run([gap(0, 1000, topics)]);
    const sizes = platform
      .callsTo(/details\/query$/)
      .map((c) => (c.body as QueryBody).segmentFilters[0]!.predicates.length);
    assert.deepEqual(sizes, [3, 3, 1]);
  });

  it('skips the analytics query when no queue or user topic was in the gap', async () => {
    const platform = await platformWith(['t-1']);
    const recovered: string[] = [];
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => ['t-1'],
      onRecovered: (r) => {
        recovered.push(r.conversationId);
      },
    });
    await backfiller.run([gap(0, 1000, ['v2.analytics.queues.q1.observations'])]);
    assert.equal(platform.callsTo(/details\/query$/).length, 0);
    assert.deepEqual(recovered, ['t-1']);
  });

  it('keeps the number of calls in flight bounded', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `c-${i}`);
    const platform = await platformWith(ids);
    let inFlight = 0;
    let peak = 0;
    const port = new HttpPort(platform.url);
    const get = port.getConversation.bind(port);
    port.getConversation = async (id) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 10));
        return await get(id);
      } finally {
        inFlight--;
      }
    };
    const recovered: string[] = [];
    const backfiller = new Backfiller({
      port,
      trackedConversations: () => ids,
      onRecovered: (r) => {
        recovered.push(r.conversationId);
      },
      concurrency: 3,
    });
    await backfiller.run([gap(0, 1000, [])]);
    assert.equal(peak, 3);
    assert.deepEqual([...recovered].sort(), [...ids].sort());
  });

  it('counts failures instead of throwing, and carries on', async () => {
    const platform = await platformWith(['ok-1']);
    platform.overrides.push((call) =>
      call.path.endsWith('details/query')
        ? { status: 503, body: { code: 'service.unavailable' } }
        : undefined,
    );
    const recovered: string[] = [];
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => ['gone-1', 'ok-1'],
      onRecovered: (r) => {
        recovered.push(r.conversationId);
      },
    });
    const report = await backfiller.run([gap(0, 1000, [queueTopic('q1')])]);
    assert.deepEqual(recovered, ['ok-1']);
    assert.equal(report.failures, 2, 'the 404 conversation and the failed query');
  });

  it('coalesces gaps that close together into one run, merging overlapping windows', async () => {
    const platform = await platformWith(['t-1']);
    const recovered: string[] = [];
    const backfiller = new Backfiller({
      port: new HttpPort(platform.url),
      trackedConversations: () => ['t-1'],
      onRecovered: (r) => {
        recovered.push(r.conversationId);
      },
      marginMs: 1000,
      coalesceMs: 30,
    });
    backfiller.enqueue(gap(0, 500, [queueTopic('q1')]));
    backfiller.enqueue(gap(200, 900, [queueTopic('q2')]));
    backfiller.enqueue(gap(600_000, 601_000, [queueTopic('q3')]));
    await backfiller.idle();
    assert.deepEqual(recovered, ['t-1'], 'tracked conversations refreshed once');
    const queries = platform.callsTo(/details\/query$/).map((c) => c.body as QueryBody);
    assert.deepEqual(
      queries.map((q) => [q.interval, q.segmentFilters[0]!.predicates.map((p) => p.value)]),
      [
        [`${iso(-1000)}/${iso(1900)}`, ['q1', 'q2']],
        [`${iso(599_000)}/${iso(602_000)}`, ['q3']],
      ],
    );
    const [report] = backfiller.history();
    assert.equal(report?.gaps, 3);
    assert.equal(report?.gapStart, iso(0));
    assert.equal(report?.gapEnd, iso(601_000));
  });
});
