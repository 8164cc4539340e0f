/**
 * The EventBridge source end to end: the real AWS SDK (credentials from the environment through its default chain,
 * instance metadata disabled) reads the emulator's SQS queue, which its EventBridge integration fills with the detail
 * events of the emulated conversations — duplicated, reordered and delayed on purpose — and the stream's events cover
 * the ground truth exactly: nothing missing, no id twice, nothing extra. A first reader that never lets go of what it
 * read (its events never safe) leaves every message to come back after its visibility timeout, and the second reader
 * takes them as redeliveries. Poison messages are never deleted and end in the dead-letter queue.
 *
 * The emulator runs on a manual clock (the world, the queue's visibility timeouts and delays); the readers on real
 * time. Emulated time moves in steps, each once the readers have taken everything visible.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { ManualClock, TRANSFER_KINDS } from '../../src/emulator/world/index.js';
import { ConfigError } from '../../src/errors.js';
import { SqsSource } from '../../src/eventbridge/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { type ConversationStream, createConversationStream } from '../../src/pipeline/conversation-stream.js';
import { EventPipeline } from '../../src/pipeline/event-pipeline.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';
process.env.AWS_REGION = 'us-east-1';

const START = Date.UTC(2026, 2, 10, 9, 0, 0);

describe('EventBridge source over SQS', () => {
  const clock = new ManualClock(START);
  let emulator: Emulator;
  let queueUrl: string;
  let stream: ConversationStream | undefined;
  let source: SqsSource | undefined;
  const events: LifecycleEvent[] = [];

  before(async () => {
    emulator = await startEmulator({
      clock,
      seed: 21,
      agents: 10,
      queues: 3,
      contacts: 30,
      historyDays: 0,
      conversationsPerMinute: 3,
      timeScale: 60,
      eventBridge: { visibilityTimeoutSeconds: 30, maxReceiveCount: 4 },
    });
    queueUrl = emulator.eventBridge!.queueUrl;
  });
  after(async () => {
    await stream?.stop({ drainMs: 100 });
    await emulator?.stop();
  });

  const visible = () => Number(emulator.eventBridge!.queue.attributes().ApproximateNumberOfMessages);

  /**
   * Moves emulated time by `ms` in steps, each once the reader has taken everything visible and (for the stream's
   * reader) let go of what it took: emulated time runs far ahead of the reader's own, so it must not outrun its deletes.
   */
  async function play(ms: number, stepMs = 2_000): Promise<void> {
    for (let moved = 0; moved < ms; moved += stepMs) {
      clock.advance(stepMs);
      await waitFor(
        () => visible() === 0 && (source === undefined || source.stats().inFlight === 0),
        'the reader to take what is visible and let go of it',
        10_000,
      );
    }
  }

  it('covers the ground truth exactly under duplicates, reordering, delays and redelivery', async () => {
    const faults = await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 0.3, duplicateDelayMs: 2_000, reorderWindowMs: 1_500, delayMs: 300 },
    });
    assert.equal(faults.status, 200);
    for (const transfer of TRANSFER_KINDS) {
      for (const kind of ['voice', 'webmessaging'] as const) {
        await api(emulator, 'POST', '/__emulator/conversations', { body: { kind, transfer } });
      }
    }
    await api(emulator, 'POST', '/__emulator/conversations', { body: { kind: 'voice', missedAlert: true } });
    await api(emulator, 'POST', '/__emulator/conversations', {
      body: { kind: 'email', afterCallWork: 'skipped', transfer: 'consult-user' },
    });

    // A first reader derives, but its events are never safe: it deletes nothing, then stops.
    const first = new SqsSource({ queueUrl, waitSeconds: 1, visibilityTimeoutSeconds: 30 });
    const offline = () => Promise.reject(new Error('offline'));
    const firstPipeline = new EventPipeline({
      reader: { readAnalytics: offline, readConversation: offline },
      detailEvents: { holdMs: 200, settleMs: 1_000 },
    });
    first.onNotification(firstPipeline.receive);
    first.useSafetyCheck(async () => false);
    await first.start();
    await play(10_000);
    await waitFor(() => first.stats().awaitingDelete > 0, 'the first reader to acknowledge some');
    await first.stop();
    firstPipeline.close();
    const firstStats = first.stats();
    assert.equal(firstStats.deleted, 0, 'nothing deleted before its events were safe');
    assert.ok(firstStats.received > 20, `${firstStats.received} received by the first reader`);

    // The second reader: the stream, on the same queue.
    source = new SqsSource({ queueUrl, waitSeconds: 1, visibilityTimeoutSeconds: 30, deleteDelayMs: 50 });
    stream = createConversationStream({ source, detailEvents: { holdMs: 300, settleMs: 1_500 } });
    stream.onAny((e) => {
      events.push(e);
    });
    await stream.start();
    await play(20_000);
    await api(emulator, 'POST', '/__emulator/traffic', { body: { conversationsPerMinute: 0 } });
    await play(60 * 60_000, 30_000);

    const truth = emulator.world!.groundTruth();
    const truthIds = new Set(truth.map((f) => f.id));
    assert.ok(truth.length > 150, `${truth.length} facts`);
    await waitFor(
      () => truth.every((f) => events.some((e) => e.id === f.id)),
      'every fact of the ground truth',
      30_000,
    );
    const ids = events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no id twice');
    assert.deepEqual(
      ids.filter((id) => !truthIds.has(id)),
      [],
      'nothing extra',
    );
    const byId = new Map(truth.map((f) => [f.id, f]));
    for (const e of events) {
      const fact = byId.get(e.id)!;
      assert.equal(e.type, fact.type);
      assert.equal(e.conversationId, fact.conversationId);
      if (e.type === 'conversation.wrapup')
        assert.equal(e.code, fact.wrapupCode, 'the code came with the records');
    }
    const stats = source.stats();
    assert.ok(stats.redeliveries > 0, 'what the first reader held came back');
    assert.ok(stats.deleted > 0);
    const health = stream.health();
    assert.equal(health.source?.kind, 'eventbridge');
    assert.ok(health.pipeline.detailEvents > 0);
    // Everything read is let go of once derived: the queue empties, and nothing went to the dead-letter queue.
    await waitFor(() => emulator.eventBridge!.queue.size === 0, 'the queue to empty', 10_000);
    assert.equal(emulator.eventBridge!.deadLetter!.size, 0);
  });

  it('leaves poison messages for the dead-letter queue and goes on', async () => {
    const before = source!.stats().poison;
    for (const kind of ['not-json', 'not-an-event', 'bad-record']) {
      await api(emulator, 'POST', '/__emulator/eventbridge/poison', { body: { n: 1, kind } });
    }
    await waitFor(() => source!.stats().poison >= before + 3, 'the poison to be seen');
    // Each comes back after its visibility timeout, until the redrive policy moves it.
    for (let i = 0; i < 6 && emulator.eventBridge!.deadLetter!.size < 3; i++) await play(31_000, 31_000);
    assert.equal(emulator.eventBridge!.deadLetter!.size, 3, 'the poison, and nothing else');
    assert.equal(emulator.eventBridge!.queue.size, 0);
  });

  it('says since when every receive has failed once the queue stops answering', async () => {
    const gone = await startEmulator({ historyDays: 0, conversationsPerMinute: 0, eventBridge: true });
    const reader = new SqsSource({ queueUrl: gone.eventBridge!.queueUrl, waitSeconds: 1, receivers: 1 });
    try {
      await reader.start();
      await waitFor(() => reader.stats().receives > 0, 'a receive that answered');
      assert.equal(reader.stats().failingSince, undefined);
      await gone.stop();
      await waitFor(() => reader.stats().failingSince !== undefined, 'the receives to fail', 15_000);
      const stats = reader.stats();
      assert.ok(stats.receiveErrors > 0);
      assert.ok(stats.lastError !== undefined);
      assert.equal(stats.running, true, 'it keeps trying');
    } finally {
      await reader.stop();
      await gone.stop();
    }
  });

  it('refuses what is not a queue URL, and names a queue that does not exist', async () => {
    assert.throws(() => new SqsSource({ queueUrl: 'not a url' }), ConfigError);
    const missing = new SqsSource({ queueUrl: `${emulator.eventBridge!.sqsEndpoint}/000000000000/nope` });
    await assert.rejects(missing.start(), (error: Error) => error.name === 'QueueDoesNotExist');
  });
});
