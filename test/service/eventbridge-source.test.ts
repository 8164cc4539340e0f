/**
 * The service reading EventBridge: `stream.source: {eventbridge: {queueUrl}}` in the config makes one process read the
 * integration's SQS queue instead of the WebSocket. Run against the emulator with a SQLite store: the facts of a
 * conversation reach the stream, each message is deleted once a checkpoint holds what it said, and health names the
 * source. A source other than websocket or eventbridge is refused where the config says it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { SqsSource } from '../../src/eventbridge/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { silentLogger } from '../../src/logging.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { sourceFromConfig } from '../../src/service/eventbridge-source.js';
import { startService } from '../../src/service/service.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, tempDir } from './helpers.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';

const env = {
  GENESYS_CLOUD_REGION: 'mypurecloud.ie',
  GENESYS_CLOUD_CLIENT_ID: 'client',
  GENESYS_CLOUD_CLIENT_SECRET: 'secret',
};

describe('service: the EventBridge source', () => {
  it('reads stream.source from the config', () => {
    const config = parseServiceConfig(
      'stream:\n  source:\n    eventbridge:\n      queueUrl: https://sqs.eu-west-1.amazonaws.com/123456789012/genesys\n',
      { env },
    );
    assert.deepEqual(config.stream.eventBridge, {
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/genesys',
    });
    assert.ok(sourceFromConfig(config, silentLogger()) instanceof SqsSource);
    const websocket = parseServiceConfig('stream:\n  source: websocket\n', { env });
    assert.equal(websocket.stream.eventBridge, undefined);
    assert.equal(sourceFromConfig(websocket, silentLogger()), undefined);
    assert.throws(
      () => parseServiceConfig('stream:\n  source: kafka\n', { env }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('source'),
    );
  });

  describe('against the emulator', () => {
    let emulator: Emulator;
    const temp = tempDir();
    before(async () => {
      emulator = await fastEmulator({ conversationsPerMinute: 0, timeScale: 60, eventBridge: true });
    });
    after(async () => {
      await emulator?.stop();
      temp.remove();
    });

    it('derives a conversation from the queue and deletes each message once a checkpoint holds it', async () => {
      const config = configFor(emulator, temp.dir);
      config.stream = { ...config.stream, eventBridge: { queueUrl: emulator.eventBridge!.queueUrl } };
      const service = await startService({ config, reporter: capturingReporter(), logger: silentLogger() });
      try {
        const events: LifecycleEvent[] = [];
        service.stream.onAny((event) => {
          events.push(event);
        });
        const reply = await api(emulator, 'POST', '/__emulator/conversations', {
          body: { kind: 'voice', transfer: 'blind-user', durationMs: 60_000 },
        });
        const conversationId = (reply.body as { conversationId: string }).conversationId;
        const truth = () => emulator.world!.groundTruth().filter((f) => f.conversationId === conversationId);
        await waitFor(
          () =>
            truth().some((f) => f.type === 'conversation.ended') &&
            truth().every((f) => events.some((e) => e.id === f.id)),
          'every fact of the conversation',
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        assert.equal(events.length, truth().length, 'each fact once');
        await waitFor(() => emulator.eventBridge!.queue.size === 0, 'every message deleted', 20_000);
        const health = service.stream.health();
        assert.equal(health.source?.kind, 'eventbridge');
        assert.ok((health.source?.deleted as number) > 0);
        assert.ok(health.checkpoint.lastWrittenAt !== undefined, 'deleted after a checkpoint');
      } finally {
        await service.stop();
      }
    });
  });
});
