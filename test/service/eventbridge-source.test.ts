/**
 * The service reading EventBridge: `stream.source: {eventbridge: {queueUrl}}` in the config makes one process read the
 * integration's SQS queue instead of the WebSocket. Run against the emulator with a SQLite store: the facts of a
 * conversation reach the stream, each message is deleted once a checkpoint holds what it said, and health names the
 * source. A list of both reads the WebSocket and the queue into one pipeline: each fact once, the queue emptied, ready
 * once the channels are connected and the queue is read. A source other than websocket or eventbridge, an empty list
 * or a source listed twice is refused where the config says it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { SqsSource } from '../../src/eventbridge/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { silentLogger } from '../../src/logging.js';
import type { ReadinessReport } from '../../src/server/readiness.js';
import { dedupeRetention } from '../../src/service/components/stream.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { sourceFromConfig, sourcesFromConfig } from '../../src/service/eventbridge-source.js';
import { type Service, startService } from '../../src/service/service.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, tempDir } from './helpers.js';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEMULATOR';
process.env.AWS_SECRET_ACCESS_KEY = 'emulator-secret';

/**
 * Scripts one voice conversation (a blind transfer to a user) and waits until it has ended and the service has
 * emitted each of its facts; gives what the service emitted, the conversation's facts and its id.
 */
async function playConversation(emulator: Emulator, service: Service) {
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
  return { events, truth, conversationId };
}

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

  it('reads a list of both sources, and refuses an empty list, a source twice or an unknown one', () => {
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/genesys';
    const both = parseServiceConfig(
      `stream:\n  source:\n    - websocket\n    - eventbridge:\n        queueUrl: ${queueUrl}\n        region: eu-west-1\n  dedupeHorizon: 2h\n`,
      { env },
    );
    assert.deepEqual(both.stream.eventBridge, { queueUrl, region: 'eu-west-1' });
    // The dedupe horizon: an ended conversation remembered 2 h (one awaiting its wrap-up at least the default hour).
    assert.equal(both.stream.dedupeHorizonMs, 2 * 3_600_000);
    assert.deepEqual(dedupeRetention(2 * 3_600_000), {
      deriver: { graceMs: 7_200_000, wrapupGraceMs: 7_200_000 },
      detailEvents: { retainMs: 7_200_000 },
    });
    assert.deepEqual(dedupeRetention(60_000), {
      deriver: { graceMs: 60_000, wrapupGraceMs: 3_600_000 },
      detailEvents: { retainMs: 3_600_000 },
    });
    assert.equal(both.stream.bothSources, true);
    const sources = sourcesFromConfig(both, silentLogger());
    assert.equal(sources.source, undefined, 'the live pool stays the main source');
    assert.equal(sources.extraSources?.length, 1);
    assert.ok(sources.extraSources?.[0] instanceof SqsSource);
    // A list of one is that source alone.
    const one = parseServiceConfig(`stream:\n  source: [{eventbridge: {queueUrl: "${queueUrl}"}}]\n`, {
      env,
    });
    assert.equal(one.stream.bothSources, undefined);
    assert.ok(sourcesFromConfig(one, silentLogger()).source instanceof SqsSource);
    assert.equal(
      parseServiceConfig('stream:\n  source: [websocket]\n', { env }).stream.eventBridge,
      undefined,
    );

    const refused = (yaml: string, ...expected: string[]) =>
      assert.throws(
        () => parseServiceConfig(yaml, { env }),
        (error: unknown) =>
          error instanceof ConfigError && expected.every((text) => error.message.includes(text)),
      );
    refused('stream:\n  source: []\n', 'stream.source', 'at least one source');
    refused('stream:\n  source: [websocket, websocket]\n', 'stream.source[1]', 'websocket is listed twice');
    refused(
      `stream:\n  source:\n    - eventbridge: {queueUrl: "${queueUrl}"}\n    - eventbridge: {queueUrl: "${queueUrl}2"}\n`,
      'stream.source[1]',
      'eventbridge is listed twice',
    );
    refused('stream:\n  source: [websocket, kafka]\n', 'stream.source', 'expected websocket, {eventbridge');
    refused('stream:\n  source:\n    eventbridge: {}\n', 'stream.source', 'expected websocket, {eventbridge');
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
        const { events, truth } = await playConversation(emulator, service);
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

  describe('both sources, against the emulator', () => {
    let emulator: Emulator;
    const both = tempDir();
    before(async () => {
      emulator = await fastEmulator({ conversationsPerMinute: 0, timeScale: 60, eventBridge: true });
    });
    after(async () => {
      await emulator?.stop();
      both.remove();
    });

    it('reads the WebSocket and the queue together when the config lists both', async () => {
      const config = configFor(emulator, both.dir);
      config.stream = {
        ...config.stream,
        eventBridge: { queueUrl: emulator.eventBridge!.queueUrl },
        bothSources: true,
      };
      await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
        body: { duplicateProbability: 0.3, duplicateDelayMs: 400, reorderWindowMs: 300 },
      });
      const service = await startService({ config, reporter: capturingReporter(), logger: silentLogger() });
      try {
        await waitFor(() => service.api.readiness().ready, 'ready with both sources', 10_000);
        const readiness = service.api.readiness() as ReadinessReport & Record<string, unknown>;
        assert.equal((readiness.source as { kind: string }).kind, 'both');
        assert.ok((readiness.channels as unknown[]).length > 0, 'the channels are judged too');
        const { events, truth, conversationId } = await playConversation(emulator, service);
        const ofConversation = events.filter((e) => e.conversationId === conversationId);
        assert.deepEqual(
          ofConversation.map((e) => e.id).sort(),
          truth()
            .map((f) => f.id)
            .sort(),
          'each fact once, nothing else',
        );
        await waitFor(() => emulator.eventBridge!.queue.size === 0, 'every message deleted', 20_000);
        const health = service.stream.health();
        assert.ok(health.pool && health.pool.channels.length > 0, 'the WebSocket is read');
        assert.equal(health.source?.kind, 'eventbridge');
        assert.ok((health.source?.deleted as number) > 0, 'the queue is read');
      } finally {
        await service.stop();
      }
    });
  });
});
