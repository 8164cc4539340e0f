/**
 * The emulator's SQS endpoint, driven by the real AWS SDK (`@aws-sdk/client-sqs`, dummy credentials, instance metadata
 * disabled): the JSON protocol's operations, checksums the SDK verifies, visibility timeouts and redelivery, only the
 * latest receipt handle deleting, long polling, the redrive to the dead-letter queue, and errors as the SDK's typed
 * exceptions. The emulator runs on a manual clock, so visibility timeouts pass when the test says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type Emulator, startEmulator } from '../../../src/emulator/index.js';
import { ManualClock } from '../../../src/emulator/world/index.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

describe('emulator: SQS endpoint', () => {
  let emulator: Emulator;
  let sqs: SQSClient;
  let queueUrl: string;
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 0, 0));

  before(async () => {
    emulator = await startEmulator({
      world: false,
      clock,
      eventBridge: { visibilityTimeoutSeconds: 30, maxReceiveCount: 3, queueName: 'sqs-test' },
    });
    queueUrl = emulator.eventBridge!.queueUrl;
    // No endpoint: the SDK sends to the queue URL's own host, as it does for a real queue.
    sqs = new SQSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });
  });
  after(async () => {
    sqs?.destroy();
    await emulator?.stop();
  });

  const receive = (input: { max?: number; visibility?: number; wait?: number } = {}) =>
    sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: input.max ?? 10,
        WaitTimeSeconds: input.wait ?? 0,
        ...(input.visibility === undefined ? {} : { VisibilityTimeout: input.visibility }),
        MessageSystemAttributeNames: ['All'],
      }),
    );

  /** Receives and deletes everything visible now. */
  async function drain(): Promise<void> {
    clock.advance(13 * 60 * 60_000);
    for (;;) {
      const { Messages = [] } = await receive();
      if (Messages.length === 0) return;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }

  it('sends, receives with checksums and attributes, and deletes', async () => {
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"hello":"world"}' }),
    );
    assert.match(sent.MessageId ?? '', /^[0-9a-f-]{36}$/);
    const { Messages = [] } = await receive();
    assert.equal(Messages.length, 1);
    const [m] = Messages;
    assert.equal(m!.Body, '{"hello":"world"}');
    assert.equal(m!.MessageId, sent.MessageId);
    assert.equal(m!.Attributes?.ApproximateReceiveCount, '1');
    assert.equal(m!.Attributes?.SentTimestamp, String(clock.now()));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m!.ReceiptHandle! }));
    clock.advance(60_000);
    assert.equal((await receive()).Messages, undefined, 'deleted for good');
  });

  it('brings a message not deleted back after its visibility timeout, with a new receipt handle', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'again' }));
    const first = (await receive({ visibility: 20 })).Messages![0]!;
    clock.advance(19_000);
    assert.equal((await receive()).Messages, undefined, 'invisible for 20 s');
    clock.advance(1_000);
    const second = (await receive()).Messages![0]!;
    assert.equal(second.MessageId, first.MessageId);
    assert.equal(second.Attributes?.ApproximateReceiveCount, '2');
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
    // The old handle is accepted and deletes nothing; the latest one deletes.
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.ReceiptHandle! }));
    clock.advance(30_000);
    const third = (await receive()).Messages![0]!;
    assert.equal(third.MessageId, first.MessageId, 'a stale handle deleted nothing');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: third.ReceiptHandle! }));
    assert.equal(emulator.eventBridge!.queue.counters.staleDeletes, 1);
    await drain();
  });

  it('extends and ends visibility, one by one and in batches', async () => {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
        ],
      }),
    );
    const messages = (await receive({ visibility: 10 })).Messages!;
    assert.equal(messages.length, 2);
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: messages[0]!.ReceiptHandle!,
        VisibilityTimeout: 60,
      }),
    );
    const batch = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'b', ReceiptHandle: messages[1]!.ReceiptHandle!, VisibilityTimeout: 0 },
          { Id: 'bad', ReceiptHandle: 'not-a-handle', VisibilityTimeout: 5 },
        ],
      }),
    );
    assert.deepEqual(
      batch.Successful?.map((s) => s.Id),
      ['b'],
    );
    assert.equal(batch.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
    const now = (await receive()).Messages ?? [];
    assert.deepEqual(
      now.map((m) => m.Body),
      ['b'],
      'visibility 0: back at once; the extended one stays away',
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: now[0]!.ReceiptHandle! }));
    clock.advance(30_000);
    assert.equal((await receive()).Messages, undefined, 'extended to 60 s');
    clock.advance(31_000);
    assert.deepEqual(
      ((await receive()).Messages ?? []).map((m) => m.Body),
      ['a'],
    );
    await drain();
  });

  it('refuses to change the visibility of a message no longer in flight', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    const m = (await receive({ visibility: 5 })).Messages![0]!;
    clock.advance(6_000);
    await assert.rejects(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: m.ReceiptHandle!,
          VisibilityTimeout: 30,
        }),
      ),
      MessageNotInflight,
    );
    await assert.rejects(
      sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'garbage' })),
      ReceiptHandleIsInvalid,
    );
    await drain();
  });

  it('waits on a long poll until a message arrives', async () => {
    const polling = receive({ wait: 20 });
    await new Promise((resolve) => setImmediate(resolve));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' }));
    const { Messages = [] } = await polling;
    assert.deepEqual(
      Messages.map((m) => m.Body),
      ['late'],
    );
    await drain();
  });

  it('moves a message received too often to the dead-letter queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    for (let i = 1; i <= 3; i++) {
      const m = (await receive({ visibility: 1 })).Messages ?? [];
      assert.equal(m.length, 1, `receive ${i}`);
      clock.advance(1_000);
    }
    assert.equal((await receive()).Messages, undefined, 'gone after the third receive');
    // Without a queue URL to go by, the SDK needs the endpoint.
    const byName = new SQSClient({
      region: 'us-east-1',
      endpoint: emulator.eventBridge!.sqsEndpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    });
    const dlq = await byName.send(new GetQueueUrlCommand({ QueueName: 'sqs-test-dlq' }));
    byName.destroy();
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10 }),
    );
    assert.deepEqual(
      dead.Messages?.map((m) => m.Body),
      ['poison'],
    );
  });

  it('reports queue attributes, and unknown queues as QueueDoesNotExist', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'two', DelaySeconds: 5 }));
    await receive({ max: 1 });
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    assert.equal(Attributes.ApproximateNumberOfMessagesNotVisible, '1');
    assert.equal(Attributes.ApproximateNumberOfMessagesDelayed, '1');
    assert.equal(Attributes.VisibilityTimeout, '30');
    assert.match(Attributes.QueueArn ?? '', /^arn:aws:sqs:us-east-1:000000000000:sqs-test$/);
    assert.equal(JSON.parse(Attributes.RedrivePolicy ?? '{}').maxReceiveCount, 3);
    await assert.rejects(
      sqs.send(
        new ReceiveMessageCommand({ QueueUrl: `${emulator.eventBridge!.sqsEndpoint}/000000000000/nope` }),
      ),
      QueueDoesNotExist,
    );
    await drain();
  });
});
