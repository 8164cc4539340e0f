/**
 * At least once across a crash: `switchboard listen --source eventbridge` with a checkpoint store and a file sink is
 * SIGKILLed while it reads the emulator's queue (duplicated and reordered deliveries, live traffic), then started
 * again. Together the two runs wrote every fact of the ground truth to the file, and nothing else; the queue ends
 * empty and nothing went to the dead-letter queue. A fact may be written twice only across the kill, with its id.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { api } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-eventbridge-kill-'));

function listen(emulator: Emulator): {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      bin,
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
    {
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !key.startsWith('GENESYS_CLOUD_')),
        ),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-secret',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

function written(): string[] {
  const file = join(dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
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
      first.child.kill('SIGKILL');
    }
    await first.exited;
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
      second.child.kill('SIGINT');
      assert.equal(await second.exited, 0, second.stderr().slice(-2000));
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
      second.child.kill('SIGKILL');
    }
  });
});
