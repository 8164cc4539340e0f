import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoordinatorHealth } from '../../src/cluster/coordinator.js';
import { createConversationStream, type StreamHealth } from '../../src/pipeline/conversation-stream.js';
import { type PlatformClientStats, RateBudget } from '../../src/platform/index.js';
import { ServiceMetrics } from '../../src/server/metrics.js';
import type { ServedStreamHealth } from '../../src/server/served-stream.js';

const cluster: CoordinatorHealth = {
  replicaId: 'r1',
  members: ['r1', 'r2'],
  shards: [
    { shard: '0', owner: 'r1', placedOn: 'r1', epoch: 41, state: 'active', leaseAgeMs: 1500 },
    { shard: '1', owner: 'r2', placedOn: 'r2', epoch: 17 },
  ],
  owned: 1,
  incoming: undefined,
  counters: { takeovers: 2, handoversIn: 1, handoversOut: 3, standDowns: 1, movesAborted: 0 },
  sparePermitsHeld: 0,
  storeAgeMs: 250,
};

describe('ServiceMetrics of a replica', () => {
  it('exposes shard ownership, lease ages and hand-overs', async () => {
    // A real stream's health (nothing connected), as a replica reports it with its cluster view.
    const stream: ServedStreamHealth = { ...createConversationStream({}).health(), cluster };
    const metrics = new ServiceMetrics(
      {
        stream: () => stream,
        platform: () => undefined,
        inProgress: () => ({ rows: [], total: 0, byMedia: {} }),
        ready: () => true,
      },
      { defaultMetrics: false },
    );
    const { body } = await metrics.render();
    const has = (line: string) => assert.ok(body.includes(line), `metrics include ${line}`);
    has('switchboard_cluster_members 2');
    has('switchboard_cluster_shards_owned 1');
    has('switchboard_cluster_shard_epoch{shard="0",owner="r1"} 41');
    has('switchboard_cluster_shard_epoch{shard="1",owner="r2"} 17');
    has('switchboard_cluster_lease_age_seconds{shard="0",owner="r1"} 1.5');
    assert.ok(
      !body.includes('switchboard_cluster_lease_age_seconds{shard="1"'),
      'no lease age for shards held elsewhere',
    );
    has('switchboard_cluster_handovers_in_total 1');
    has('switchboard_cluster_handovers_out_total 3');
    has('switchboard_cluster_takeovers_total 2');
    has('switchboard_cluster_standdowns_total 1');
    has('switchboard_cluster_store_age_seconds 0.25');
  });
});

describe('ServiceMetrics of the pipeline', () => {
  it('counts conversation notifications by shape and ignored ones by topic family', async () => {
    const base = createConversationStream({}).health();
    const stream: StreamHealth = {
      ...base,
      pipeline: {
        ...base.pipeline,
        conversationSnapshots: 7,
        mediaSnapshots: 5,
        ignoredTopics: { 'v2.users.{id}.presence': 3 },
      },
    };
    const metrics = new ServiceMetrics(
      {
        stream: () => stream,
        platform: () => undefined,
        inProgress: () => ({ rows: [], total: 0, byMedia: {} }),
        ready: () => true,
      },
      { defaultMetrics: false },
    );
    const { body } = await metrics.render();
    const has = (line: string) => assert.ok(body.includes(line), `metrics include ${line}`);
    has('switchboard_conversation_snapshots_total{shape="whole"} 7');
    has('switchboard_conversation_snapshots_total{shape="media"} 5');
    has('switchboard_notifications_ignored_total{family="v2.users.{id}.presence"} 3');
  });
});

describe('ServiceMetrics of the rate budget', () => {
  it('shows waits, queues and grants by purpose', async () => {
    const budget = new RateBudget({ requestsPerWindow: 20, windowMs: 60_000, burst: 1 });
    const metrics = new ServiceMetrics(
      {
        stream: () => undefined,
        platform: () =>
          ({
            requests: 0,
            attempts: 0,
            succeeded: 0,
            failed: 0,
            rateLimited: 0,
            retries: 0,
            tokenRequests: 0,
            tokenExpiresAt: undefined,
            budget: budget.state(),
          }) satisfies PlatformClientStats,
        inProgress: () => ({ rows: [], total: 0, byMedia: {} }),
        ready: () => true,
      },
      { defaultMetrics: false },
    );
    budget.onGrant((purpose, ms) => metrics.observeBudgetWait(purpose, ms));
    // One paced call goes at once, the second waits for the bucket; channel calls never do.
    (await budget.acquire({ purpose: 'backfill' })).release();
    const queued = budget.acquire({ purpose: 'backfill' });
    (await budget.acquire({ purpose: 'channel' })).release();
    const { body } = await metrics.render();
    const has = (line: string) => assert.ok(body.includes(line), `metrics include ${line}`);
    has('switchboard_rate_budget_grants_total{purpose="backfill"} 1');
    has('switchboard_rate_budget_grants_total{purpose="channel"} 1');
    has('switchboard_rate_budget_queued_by_purpose{purpose="backfill"} 1');
    has('switchboard_rate_budget_wait_seconds_count{purpose="channel"} 1');
    has('switchboard_rate_budget_wait_seconds_bucket{le="0.01",purpose="channel"} 1');
    budget.close();
    await assert.rejects(queued);
  });
});

describe('ServiceMetrics of a stream reading EventBridge', () => {
  it('exposes what the SQS source received, deleted and saw again, and its lag', async () => {
    const stream: StreamHealth = {
      ...createConversationStream({}).health(),
      source: {
        kind: 'eventbridge',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
        received: 120,
        redeliveries: 7,
        deleted: 110,
        poison: 2,
        inFlight: 8,
        lagMs: 2500,
      },
    };
    const metrics = new ServiceMetrics(
      {
        stream: () => stream,
        platform: () => undefined,
        inProgress: () => ({ rows: [], total: 0, byMedia: {} }),
        ready: () => true,
      },
      { defaultMetrics: false },
    );
    const { body } = await metrics.render();
    for (const line of [
      'switchboard_eventbridge_received_total 120',
      'switchboard_eventbridge_redeliveries_total 7',
      'switchboard_eventbridge_deleted_total 110',
      'switchboard_eventbridge_poison_total 2',
      'switchboard_eventbridge_in_flight 8',
      'switchboard_eventbridge_lag_seconds 2.5',
    ])
      assert.ok(body.includes(line), `metrics include ${line}`);
  });
});
