/**
 * `switchboard listen --source eventbridge --queue-url <url>`: the CLI reads the emulator's EventBridge queue with the
 * AWS SDK (credentials from the environment, instance metadata disabled, no Genesys Cloud credentials at all) and
 * prints each fact of the emulated conversations once, as JSON lines; it stops cleanly on SIGINT. Wrong flag
 * combinations are refused with what to do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sourceFromFlags } from '../../src/cli/commands/listen.js';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { emulatorAwsEnv, jsonLineIds, startCli } from './helpers.js';

describe('switchboard listen --source eventbridge', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator({
      seed: 9,
      timeScale: 60,
      conversationsPerMinute: 0,
      historyDays: 0,
      eventBridge: true,
    });
    await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 0.5, duplicateDelayMs: 300, reorderWindowMs: 200 },
    });
  });
  after(() => emulator?.stop());

  it('prints every fact of the conversations once and stops on SIGINT', async () => {
    const conversations: string[] = [];
    for (const transfer of ['blind-queue', 'consult-user', 'none'] as const) {
      const reply = await api(emulator, 'POST', '/__emulator/conversations', {
        body: { kind: 'voice', transfer, durationMs: 60_000 },
      });
      conversations.push((reply.body as { conversationId: string }).conversationId);
    }
    const cli = startCli(
      ['listen', '--source', 'eventbridge', '--queue-url', emulator.eventBridge!.queueUrl, '--no-db'],
      { withoutPlatformEnv: true, env: emulatorAwsEnv() },
    );
    try {
      const truth = () =>
        emulator.world!.groundTruth().filter((f) => conversations.includes(f.conversationId));
      const printed = () => jsonLineIds(cli.stdout());
      await waitFor(
        () => {
          const facts = truth();
          const ended = facts.filter((f) => f.type === 'conversation.ended').length === conversations.length;
          return ended && facts.every((f) => printed().includes(f.id));
        },
        'every fact printed',
        { timeoutMs: 60_000, intervalMs: 100 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\nstderr:\n${cli.stderr().slice(-3000)}`);
      });
      assert.equal(await cli.stop(), 0, cli.stderr().slice(-2000));
      const ids = printed();
      assert.equal(new Set(ids).size, ids.length, 'each fact once');
      assert.deepEqual(
        [...ids].sort(),
        truth()
          .map((f) => f.id)
          .sort(),
      );
      assert.match(cli.stderr(), /no Genesys Cloud credentials/);
    } finally {
      await cli.stop('SIGKILL');
    }
  });

  it('refuses a queue URL without the EventBridge source, and selectors with it', () => {
    assert.deepEqual(sourceFromFlags({}), { kind: 'websocket' });
    assert.throws(
      () => sourceFromFlags({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' }),
      ConfigError,
    );
    assert.throws(() => sourceFromFlags({ source: 'eventbridge' }), /needs the SQS queue/);
    assert.throws(
      () =>
        sourceFromFlags({
          source: 'eventbridge',
          queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
          queues: 'all',
        }),
      ConfigError,
    );
    assert.throws(() => sourceFromFlags({ source: 'kafka' }), /Unknown source/);
    assert.deepEqual(
      sourceFromFlags({
        source: 'websocket,eventbridge',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
        queues: 'all',
      }),
      { kind: 'both', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q' },
    );
    assert.throws(() => sourceFromFlags({ source: 'websocket,eventbridge' }), /needs the SQS queue/);
  });
});
