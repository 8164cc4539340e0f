/**
 * Both sources at once: one stream follows the emulator's queues and users over the WebSocket and reads its
 * EventBridge queue beside them (`extraSources`), into one pipeline. Each fact of the ground truth is delivered once,
 * whichever source saw it first; wrap-ups carry their codes (a lookup the WebSocket path opened is settled by the
 * detail event's code, or by analytics, whichever comes first), and the queue is emptied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { SqsSource } from '../../src/eventbridge/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { type ConversationStream, createConversationStream } from '../../src/pipeline/conversation-stream.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/index.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';

describe('the WebSocket and EventBridge at once', () => {
  let emulator: Emulator;
  let platform: PlatformClient;
  let stream: ConversationStream;
  let sqs: SqsSource;
  const events: LifecycleEvent[] = [];

  before(async () => {
    emulator = await startEmulator({
      seed: 13,
      agents: 10,
      queues: 3,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 120,
      analyticsLagMs: 200,
      analyticsLagJitterMs: 100,
      eventBridge: true,
    });
    await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 0.3, duplicateDelayMs: 400, reorderWindowMs: 300 },
    });
    platform = createPlatformClient({
      region: emulator.url,
      clientId: 'switchboard-demo',
      clientSecret: 'switchboard-demo-secret',
    });
    sqs = new SqsSource({ queueUrl: emulator.eventBridge!.queueUrl, waitSeconds: 1, deleteDelayMs: 50 });
    stream = createConversationStream({
      platform,
      selection: { queues: 'all', users: 'all' },
      extraSources: [sqs],
      backfill: false,
      lookups: { firstLookAfterMs: 300, batchWindowMs: 50 },
      detailEvents: { holdMs: 300, settleMs: 1_500 },
    });
    stream.onAny((event) => {
      events.push(event);
    });
    await stream.start();
  });
  after(async () => {
    await stream?.stop({ drainMs: 500 });
    await platform?.close();
    await emulator?.stop();
  });

  it('delivers each fact once, with the codes, whichever source saw it first', async () => {
    const conversations: string[] = [];
    for (const transfer of ['blind-queue', 'consult-user', 'none'] as const) {
      for (const kind of ['voice', 'webmessaging'] as const) {
        const reply = await api(emulator, 'POST', '/__emulator/conversations', { body: { kind, transfer } });
        conversations.push((reply.body as { conversationId: string }).conversationId);
      }
    }
    const truth = () => emulator.world!.groundTruth().filter((f) => conversations.includes(f.conversationId));
    await waitFor(
      () =>
        truth().filter((f) => f.type === 'conversation.ended').length === conversations.length &&
        emulator.world!.activeConversations === 0 &&
        truth().every((f) => events.some((e) => e.id === f.id)),
      'every fact of the conversations',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const ids = events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'each fact once');
    assert.deepEqual(
      [...ids].sort(),
      truth()
        .map((f) => f.id)
        .sort(),
    );
    for (const e of events) {
      if (e.type !== 'conversation.wrapup') continue;
      const fact = truth().find((f) => f.id === e.id)!;
      assert.equal(e.code, fact.wrapupCode, 'a wrap-up with its code');
      assert.equal(e.codeLookupFailed, undefined);
    }
    const pipeline = stream.health().pipeline;
    assert.ok(pipeline.detailEvents > 0, 'detail events came through EventBridge');
    assert.ok(pipeline.conversationSnapshots > 0, 'snapshots through the WebSocket');
    assert.equal(stream.health().source?.kind, 'eventbridge');
    await waitFor(() => emulator.eventBridge!.queue.size === 0, 'the queue to empty', 10_000);
  });
});
