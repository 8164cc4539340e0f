/**
 * The delivery contract, proven by killing: one `switchboard run` with a file sink and a webhook sink, under live
 * emulator traffic, SIGKILLed at random moments and started again on the same store, while the webhook's receiver
 * is down for a minute in the middle. Afterwards each sink holds every fact of the emulator's ground truth at least
 * once, and nothing that did not happen.
 *
 * The emulator runs in this process, so it outlives every kill; the service runs as a child process, exactly as
 * `switchboard run --config <file>` does.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { type CliProcess, startCli, waitForOutput } from '../cli/helpers.js';
import { waitFor } from '../helpers/wait-for.js';
import { HEARTBEAT_MS, tempDir } from './helpers.js';

/** A webhook receiver that can be taken down (its port closed) and brought back on the same port. */
class Receiver {
  readonly ids: string[] = [];
  private server: Server | undefined;
  port = 0;

  async up(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const id = request.headers['x-switchboard-event-id'];
        if (typeof id === 'string') this.ids.push(id);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A deterministic sequence of "random" moments, so a failing run can be repeated (the seed is printed). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function fileIds(path: string): string[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      ids.push((JSON.parse(line) as { id: string }).id);
    } catch {
      // A line cut short by a SIGKILL: its event is written again whole by the next run.
    }
  }
  return ids;
}

describe('switchboard run, SIGKILLed again and again', () => {
  it('each sink ends with every fact that happened, at least once, and nothing else', async (t) => {
    const seed = Number(process.env.KILL_TEST_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    // About 150 new conversations a minute, each a few real seconds to a minute long. Analytics a second or two
    // behind (the platform's is seconds): the test is about kills, and the wrap-ups wait past the lag anyway.
    const emulator = await startEmulator({
      port: 0,
      seed: 23,
      timeScale: 15,
      conversationsPerMinute: 10,
      historyDays: 0,
      heartbeatIntervalMs: HEARTBEAT_MS,
      analyticsLagMs: 1000,
      analyticsLagJitterMs: 1000,
    });
    const receiver = new Receiver();
    await receiver.up();
    const temp = tempDir();
    const eventsFile = join(temp.dir, 'events.jsonl');
    const configFile = join(temp.dir, 'switchboard.yaml');
    writeFileSync(
      configFile,
      `genesys:
  region: ${emulator.url}
  clientId: switchboard-demo
  clientSecret: env:TEST_CLIENT_SECRET
stream:
  queues: all
  users: all
  timing: { heartbeatInterval: ${HEARTBEAT_MS} }
store: ./switchboard.db
sinks:
  - file:./events.jsonl
  - webhook:http://127.0.0.1:${receiver.port}/hook?secret=env:TEST_HOOK_SECRET&name=hook&retryMaxMs=1000
server: { port: 0 }
shutdown: { timeout: 20s }
`,
    );
    let running: CliProcess | undefined;
    const start = async (): Promise<CliProcess> => {
      running = startCli(['run', '--config', configFile], {
        env: {
          TEST_CLIENT_SECRET: 'switchboard-demo-secret',
          TEST_HOOK_SECRET: 'kill-test-hook-secret',
          SWITCHBOARD_LOG_LEVEL: 'warn',
        },
        stdout: 'ignore',
        killAfterMs: 600_000,
      });
      await waitForOutput(running, 'stderr', /switchboard: ready: /, 'the service to be ready');
      return running;
    };
    const kills: number[] = [];
    try {
      let service = await start();
      let downSince: number | undefined;
      // At least six kills; the receiver goes down after the first and comes back a minute later, kills meanwhile.
      for (let round = 1; round <= 6 || downSince !== undefined; round++) {
        const after = 3_000 + Math.floor(random() * 9_000);
        await new Promise((resolve) => setTimeout(resolve, after));
        if (round === 2) {
          await receiver.down();
          downSince = Date.now();
        }
        await service.stop('SIGKILL');
        kills.push(after);
        service = await start();
        if (downSince !== undefined && Date.now() - downSince >= 60_000) {
          await receiver.up();
          t.diagnostic(`receiver down for ${Math.round((Date.now() - downSince) / 1000)} s`);
          downSince = undefined;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      emulator.world!.setTraffic(0);
      await waitFor(() => emulator.world!.activeConversations === 0, 'every conversation to end', {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const truth = emulator.world!.groundTruth();
      const truthIds = new Set(truth.map((fact) => fact.id));
      const missingFrom = (ids: readonly string[]) => {
        const seen = new Set(ids);
        return truth.filter((fact) => !seen.has(fact.id));
      };
      // Recovery of the last gaps and the wrap-up lookups, then delivery: wait until both sinks have everything.
      await waitFor(
        () => missingFrom(fileIds(eventsFile)).length === 0 && missingFrom(receiver.ids).length === 0,
        'both sinks to hold every fact',
        { timeoutMs: 180_000, intervalMs: 500 },
      ).catch(() => undefined); // the assertions below say what is missing
      assert.equal(await service.stop('SIGTERM'), 0, service.stderr());

      const inFile = fileIds(eventsFile);
      const report = (name: string, ids: readonly string[]) => {
        const missing = missingFrom(ids);
        const unknown = ids.filter((id) => !truthIds.has(id));
        const repeats = ids.length - new Set(ids).size;
        t.diagnostic(
          `${name}: ${new Set(ids).size} of ${truth.length} facts, ${repeats} repeat(s), ${missing.length} missing, ${unknown.length} unknown`,
        );
        assert.deepEqual(
          missing.slice(0, 5).map((fact) => `${fact.type} ${fact.conversationId} ${fact.occurredAt}`),
          [],
          `${name}: ${missing.length} of ${truth.length} facts missing (seed ${seed})`,
        );
        assert.deepEqual(unknown.slice(0, 5), [], `${name}: events that did not happen (seed ${seed})`);
      };
      t.diagnostic(`seed ${seed}; killed ${kills.length} times, after ${kills.join(', ')} ms`);
      assert.ok(truth.length > 300, `enough traffic to mean something (${truth.length} facts)`);
      report('file sink', inFile);
      report('webhook sink', receiver.ids);
    } finally {
      await running?.stop('SIGKILL');
      await receiver.down();
      await emulator.stop();
      temp.remove();
    }
  });
});
