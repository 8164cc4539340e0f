/**
 * The live source against an emulator with an org and conversations, over the real platform client: topics come
 * from the org's queue and user listings, conversations arrive as notifications, and a conversation that starts
 * while the stream is deaf is recovered by the backfill through the analytics details query.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/platform-client.js';
import type { RecoveredConversation } from '../../src/stream/backfiller.js';
import type { Notification } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { Gap } from '../../src/stream/status.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { WebSocketSource } from '../../src/stream/websocket-source.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Rig {
  emulator: Emulator;
  client: PlatformClient;
  source: WebSocketSource;
  notifications: Notification[];
  recovered: RecoveredConversation[];
  gaps: Gap[];
}

async function rig(): Promise<Rig> {
  const emulator = await startEmulator({
    port: 0,
    heartbeatIntervalMs: 50,
    queues: 4,
    agents: 5,
    historyDays: 1,
    historyConversationsPerDay: 5,
    conversationsPerMinute: 0,
    duplicateSnapshotProbability: 0,
    // A conversation's steps come a hundred times faster: it reaches its queue within a fraction of a second.
    timeScale: 100,
    seed: 42,
  });
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  const notifications: Notification[] = [];
  const recovered: RecoveredConversation[] = [];
  const gaps: Gap[] = [];
  const source = new WebSocketSource({
    // A small page size makes discovery walk several pages of queues and users.
    port: createNotificationsPort(client, { pageSize: 2 }),
    selection: { queues: 'all', users: 'all' },
    plan: { topicsPerChannel: 4 },
    timing: {
      heartbeatIntervalMs: 50,
      watchdogMultiple: 4,
      backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    },
    backfill: {
      trackedConversations: () => [],
      onRecovered: (r) => {
        recovered.push(r);
      },
      coalesceMs: 20,
      // Past the emulator's analytics lag (3 s plus up to 2 s), so the first read finds the conversation.
      settleMs: 6000,
    },
    onGap: (gap) => gaps.push(gap),
  });
  source.onNotification((n) => notifications.push(n));
  cleanups.push(async () => {
    await source.stop();
    await client.close();
    await emulator.stop();
  });
  await source.start();
  return { emulator, client, source, notifications, recovered, gaps };
}

describe('WebSocketSource against the emulated org', () => {
  it('subscribes every queue and user of the org, across listing pages', async () => {
    const r = await rig();
    const org = r.emulator.world!.org;
    const expected = [
      ...org.queues.map((q) => queueTopic(q.id)),
      ...org.users.map((u) => userTopic(u.id)),
    ].sort();
    const subscribed = [...r.emulator.hub.channels.all()].flatMap((c) => [...c.topics.keys()]).sort();
    assert.deepEqual(subscribed, expected);
    assert.equal(r.source.pool.health().channels.length, 3, '9 topics at 4 a channel');
    assert.equal(r.source.pool.rejectedTopics().length, 0, 'the demo client may subscribe everything');
  });

  it('delivers a conversation on its queue topic', async () => {
    const r = await rig();
    const queueId = r.emulator.world!.org.queues[1]!.id;
    const { conversationId } = r.emulator.world!.startScriptedConversation({ kind: 'voice', queueId });
    const got = await waitFor(
      () => r.notifications.find((n) => n.eventBody.id === conversationId && n.topic === queueTopic(queueId)),
      'the conversation on its queue topic',
    );
    assert.ok(Array.isArray(got.eventBody.participants), 'a whole-conversation snapshot');
    assert.ok(got.correlationId, 'the correlation id is carried');
  });

  it('recovers, through analytics, a conversation that started while the stream was deaf', async () => {
    const r = await rig();
    const queueId = r.emulator.world!.org.queues[0]!.id;
    // Silence every socket, events included: whatever happens now is lost on the WebSocket.
    r.emulator.faults.stopHeartbeats(0.4);
    const { conversationId } = r.emulator.world!.startScriptedConversation({ kind: 'voice', queueId });
    await waitFor(() => r.gaps.length > 0, 'a gap to close', 8000);
    await waitFor(() => r.recovered.some((c) => c.conversationId === conversationId), 'the backfill', 20_000);
    const found = r.recovered.find((c) => c.conversationId === conversationId)!;
    assert.equal(found.source.kind, 'backfill');
    assert.equal(found.source.via, 'analytics');
    assert.equal(found.analytics?.conversationId, conversationId, 'its analytics record came with it');
    assert.equal(found.conversation, undefined, 'no REST read per conversation found');
    const gap = r.gaps.find((g) => g.topics.includes(queueTopic(queueId)))!;
    assert.ok(gap, 'the gap covers the queue');
    assert.ok(
      Date.parse(found.source.gapStart!) <= Date.parse(gap.start),
      'the query window starts before the gap',
    );
    assert.ok(Date.parse(found.source.gapEnd!) >= Date.parse(gap.end), 'and ends after it');
  });
});
