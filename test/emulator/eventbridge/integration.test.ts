/**
 * The emulator's EventBridge integration: the world's detail events of a conversation arrive in the SQS queue as
 * EventBridge events (the envelope, `detail-type` with `{id}`, the partner source, `detail` with the concrete topic),
 * read with the real AWS SDK; its faults duplicate (the same event twice, same `id`), reorder and delay deliveries, and
 * inject poison messages; topic filters decide what goes to the queue.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DEFAULT_TOPIC_FILTERS } from '../../../src/emulator/eventbridge/index.js';
import { type Emulator, startEmulator } from '../../../src/emulator/index.js';
import { ManualClock } from '../../../src/emulator/world/index.js';
import { api } from '../helpers.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

interface Envelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: unknown[];
  detail: {
    topicName: string;
    version: string;
    eventBody: Record<string, unknown>;
    metadata: { CorrelationId: string };
  };
}

describe('emulator: EventBridge integration', () => {
  let emulator: Emulator;
  let sqs: SQSClient;
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 0, 0));

  before(async () => {
    emulator = await startEmulator({
      clock,
      seed: 3,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 60,
      eventBridge: true,
    });
    sqs = new SQSClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });
  });
  after(async () => {
    sqs?.destroy();
    await emulator?.stop();
  });
  beforeEach(async () => {
    await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 0, duplicateDelayMs: 0, reorderWindowMs: 0, delayMs: 0 },
    });
    await receiveAll();
  });

  /** Receives (and deletes) every message visible now. */
  async function receiveAll(): Promise<Message[]> {
    const out: Message[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: emulator.eventBridge!.queueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return out;
      out.push(...Messages);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: emulator.eventBridge!.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  /** Plays a scripted conversation to its end. */
  async function converse(): Promise<string> {
    const reply = await api(emulator, 'POST', '/__emulator/conversations', {
      body: { kind: 'voice', transfer: 'blind-queue' },
    });
    assert.equal(reply.status, 201);
    clock.advance(60 * 60_000);
    return (reply.body as { conversationId: string }).conversationId;
  }

  it('delivers each detail event of a conversation once, in the EventBridge envelope', async () => {
    const conversationId = await converse();
    const envelopes = (await receiveAll()).map((m) => JSON.parse(m.Body!) as Envelope);
    assert.ok(envelopes.length >= 12, `${envelopes.length} events`);
    const org = emulator.settings.organizationId;
    for (const e of envelopes) {
      assert.equal(e.version, '0');
      assert.match(e.id, /^[0-9a-f-]{36}$/);
      assert.equal(e.source, `aws.partner/genesys.com/cloud/${org}/switchboard`);
      assert.match(e['detail-type'], /^v2\.detail\.events\.conversation\.\{id\}\.[a-z.]+$/);
      assert.equal(e.detail.topicName, e['detail-type'].replace('{id}', conversationId));
      assert.equal(e.detail.version, '2');
      assert.equal(e.detail.eventBody.conversationId, conversationId);
      assert.match(e.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual(e.resources, []);
    }
    const types = envelopes.map((e) => e['detail-type'].split('{id}.')[1]);
    for (const t of [
      'customer.start',
      'acd.start',
      'acd.end',
      'user.start',
      'user.end',
      'acw',
      'wrapup',
      'customer.end',
    ])
      assert.ok(types.includes(t), t);
    assert.equal(
      new Set(envelopes.map((e) => e.id)).size,
      envelopes.length,
      'no duplicates without the fault',
    );
    const status = await api(emulator, 'GET', '/__emulator/eventbridge');
    assert.equal((status.body as { queueUrl: string }).queueUrl, emulator.eventBridge!.queueUrl);
  });

  it('delivers copies of the same event, and reorders and delays deliveries, when told to', async () => {
    const set = await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 1, duplicateDelayMs: 500, reorderWindowMs: 2_000, delayMs: 1_000 },
    });
    assert.equal(set.status, 200);
    const reply = await api(emulator, 'POST', '/__emulator/conversations', {
      body: { kind: 'webmessaging' },
    });
    const conversationId = (reply.body as { conversationId: string }).conversationId;
    // Played at once: with the delay, nothing is receivable yet.
    assert.deepEqual(await receiveAll(), []);
    clock.advance(60 * 60_000);
    const envelopes = (await receiveAll()).map((m) => JSON.parse(m.Body!) as Envelope);
    const ids = envelopes.map((e) => e.id);
    assert.ok(ids.length > 0 && envelopes.every((e) => e.detail.eventBody.conversationId === conversationId));
    assert.equal(new Set(ids).size * 2, ids.length, 'every event exactly twice, with its id');
  });

  it('injects poison messages of each kind', async () => {
    for (const kind of ['not-json', 'not-an-event', 'bad-record']) {
      const reply = await api(emulator, 'POST', '/__emulator/eventbridge/poison', { body: { n: 1, kind } });
      assert.equal(reply.status, 200);
    }
    const bodies = (await receiveAll()).map((m) => m.Body!);
    assert.equal(bodies.length, 3);
    assert.throws(() => JSON.parse(bodies[0]!));
    assert.equal(JSON.parse(bodies[1]!).detail, undefined);
    assert.equal(JSON.parse(bodies[2]!).detail.eventBody.participantId, undefined);
    const refused = await api(emulator, 'POST', '/__emulator/eventbridge/poison', {
      body: { kind: 'nonsense' },
    });
    assert.equal(refused.status, 400);
  });

  it('sends only what the topic filters match; an aggregate topic filter brings whole conversations', async () => {
    const filters = [
      'v2.detail.events.conversation.{id}.customer.end',
      'v2.routing.queues.{id}.conversations',
    ];
    const set = await api(emulator, 'PUT', '/__emulator/eventbridge/topics', {
      body: { topicFilters: filters },
    });
    assert.equal(set.status, 200);
    try {
      await converse();
      const envelopes = (await receiveAll()).map((m) => JSON.parse(m.Body!) as Envelope);
      const kinds = new Set(envelopes.map((e) => e['detail-type']));
      assert.deepEqual([...kinds].sort(), [...filters].sort());
      const snapshot = envelopes.find((e) => e['detail-type'] === 'v2.routing.queues.{id}.conversations')!;
      assert.ok(Array.isArray(snapshot.detail.eventBody.participants));
    } finally {
      await api(emulator, 'PUT', '/__emulator/eventbridge/topics', {
        body: { topicFilters: [...DEFAULT_TOPIC_FILTERS] },
      });
    }
  });
});
