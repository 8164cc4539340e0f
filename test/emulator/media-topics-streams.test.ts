/**
 * End to end over real sockets: two conversation streams follow the same queues of one emulator, one through the
 * aggregate topics, the other through the per-media topics. Both deliver every fact of the ground truth, with the
 * same ids, and the same fields (where each came from and when it was seen aside).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { type ConversationStream, createConversationStream } from '../../src/pipeline/conversation-stream.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/index.js';
import { waitFor } from '../helpers/wait-for.js';

const MEDIA = ['calls', 'callbacks', 'emails', 'messages'];

interface Follower {
  stream: ConversationStream;
  events: Map<string, LifecycleEvent>;
  repeats: number;
}

function follow(platform: PlatformClient, topics: string[]): Follower {
  const stream = createConversationStream({
    platform,
    topics,
    backfill: false,
    lookups: { firstLookAfterMs: 300, batchWindowMs: 50 },
  });
  const follower: Follower = { stream, events: new Map(), repeats: 0 };
  stream.onAny((event) => {
    if (follower.events.has(event.id)) follower.repeats++;
    follower.events.set(event.id, event);
  });
  return follower;
}

function differences(a: LifecycleEvent, b: LifecycleEvent): string[] {
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  return [...new Set([...Object.keys(left), ...Object.keys(right)])]
    .filter((key) => key !== 'source' && key !== 'observedAt')
    .filter((key) => JSON.stringify(left[key]) !== JSON.stringify(right[key]))
    .map((key) => `${a.type} ${key}: ${JSON.stringify(left[key])} ≠ ${JSON.stringify(right[key])}`);
}

describe('per-media and aggregate topics through two streams', () => {
  let emulator: Emulator;
  let platform: PlatformClient;
  let aggregate: Follower;
  let media: Follower;

  before(async () => {
    emulator = await startEmulator({
      seed: 5,
      agents: 10,
      queues: 3,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 300,
      analyticsLagMs: 200,
      analyticsLagJitterMs: 100,
    });
    platform = createPlatformClient({
      region: emulator.url,
      clientId: 'switchboard-demo',
      clientSecret: 'switchboard-demo-secret',
    });
    const queues = emulator.world!.org.queues.map((q) => `v2.routing.queues.${q.id}.conversations`);
    aggregate = follow(platform, queues);
    media = follow(
      platform,
      queues.flatMap((topic) => MEDIA.map((suffix) => `${topic}.${suffix}`)),
    );
    await aggregate.stream.start();
    await media.stream.start();
  });

  after(async () => {
    await aggregate?.stream.stop();
    await media?.stream.stop();
    await platform?.close();
    await emulator?.stop();
  });

  it('deliver the same facts with the same fields', async () => {
    const shapes = [
      { kind: 'voice', transfer: 'blind-queue' },
      { kind: 'voice', transfer: 'consult-user', missedAlert: true },
      { kind: 'voice', transfer: 'consult-queue', afterCallWork: 'skipped' },
      { kind: 'webmessaging', transfer: 'blind-user', park: true },
      { kind: 'sms', transfer: 'none' },
      { kind: 'email', transfer: 'blind-queue' },
      { kind: 'callback', transfer: 'none', afterCallWork: 'skipped' },
    ];
    for (const script of shapes) {
      const reply = await fetch(`${emulator.url}/__emulator/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ durationMs: 60_000, ...script }),
      });
      assert.equal(reply.status, 201, await reply.text());
    }
    const world = emulator.world!;
    await waitFor(() => world.activeConversations === 0, 'the scripted conversations to end', {
      timeoutMs: 30_000,
    });
    const truth = [...new Set(world.groundTruth().map((f) => f.id))].sort();
    const hasAll = (f: Follower) => truth.every((id) => f.events.has(id));
    await waitFor(() => hasAll(aggregate) && hasAll(media), 'every fact on both streams', {
      timeoutMs: 30_000,
    });
    await aggregate.stream.pipeline.idle();
    await media.stream.pipeline.idle();

    assert.ok(truth.length > 40, `${truth.length} facts`);
    assert.deepEqual([...media.events.keys()].sort(), truth);
    assert.deepEqual([...aggregate.events.keys()].sort(), truth);
    assert.equal(media.repeats, 0, 'each fact once');
    const problems = [...media.events.values()].flatMap((e) => differences(e, aggregate.events.get(e.id)!));
    assert.deepEqual(problems, []);
    const stats = media.stream.pipeline.stats();
    assert.ok(stats.mediaSnapshots > 0);
    assert.equal(stats.conversationSnapshots, 0);
    assert.equal(stats.otherTopics, 0);
  });
});
