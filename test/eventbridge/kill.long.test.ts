/**
 * At least once across a crash: `switchboard listen --source eventbridge` with a checkpoint store and a file sink is
 * SIGKILLed while it reads the emulator's queue (duplicated and reordered deliveries, live traffic), then started
 * again. Together the two runs wrote every fact of the ground truth to the file, and nothing else; the queue ends
 * empty and nothing went to the dead-letter queue. A fact may be written twice only across the kill, with its id.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type CliProcess, emulatorAwsEnv, jsonLineIds, startCli } from '../cli/helpers.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-eventbridge-kill-'));

function listen(emulator: Emulator): CliProcess {
  return startCli(
    [
      'listen',
      '--source',
      'eventbridge',
      '--queue-url',
      emulator.eventBridge!.queueUrl,
      '--db',
      join(dir, 'switchboard.db'),
      '--sink',
      `file:${join(dir, 'events.jsonl')}`,
    ],
    { withoutPlatformEnv: true, env: emulatorAwsEnv(), stdout: 'ignore', killAfterMs: 600_000 },
  );
}

function written(): string[] {
  const file = join(dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return jsonLineIds(readFileSync(file, 'utf8'));
}

describe('EventBridge source: a SIGKILL loses nothing', () => {
  let emulator: Emulator | undefined;
  after(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers the ground truth across a kill and a restart', async () => {
    emulator = await startEmulator({
      seed: 17,
      timeScale: 60,
      conversationsPerMinute: 3,
      historyDays: 0,
      eventBridge: { visibilityTimeoutSeconds: 30 },
    });
    await api(emulator, 'POST', '/__emulator/eventbridge/faults', {
      body: { duplicateProbability: 0.2, duplicateDelayMs: 500, reorderWindowMs: 500 },
    });
    const first = listen(emulator);
    try {
      await waitFor(() => written().length >= 150, 'the first run to write events', {
        timeoutMs: 60_000,
        intervalMs: 100,
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${first.stderr().slice(-3000)}`);
      });
    } finally {
      await first.stop('SIGKILL');
    }
    const beforeKill = written().length;

    const second = listen(emulator);
    try {
      await waitFor(() => written().length > beforeKill, 'the second run to write events', {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
      await api(emulator, 'POST', '/__emulator/traffic', { body: { conversationsPerMinute: 0 } });
      const world = emulator.world!;
      await waitFor(() => world.activeConversations === 0, 'every conversation to finish', {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const truth = world.groundTruth();
      const truthIds = new Set(truth.map((f) => f.id));
      await waitFor(
        () => {
          const ids = new Set(written());
          return truth.every((f) => ids.has(f.id));
        },
        'every fact written',
        { timeoutMs: 90_000, intervalMs: 200 },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${second.stderr().slice(-3000)}`);
      });
      assert.equal(await second.stop(), 0, second.stderr().slice(-2000));
      const ids = written();
      assert.deepEqual(
        ids.filter((id) => !truthIds.has(id)),
        [],
        'nothing extra',
      );
      const repeated = ids.length - new Set(ids).size;
      assert.ok(repeated <= beforeKill, `${repeated} facts written twice, all across the kill`);
      await waitFor(() => emulator!.eventBridge!.queue.size === 0, 'the queue to empty', 30_000);
      assert.equal(emulator.eventBridge!.deadLetter!.size, 0);
    } finally {
      await second.stop('SIGKILL');
    }
  });
});
