/**
 * A proactive engine that dies is started again after a pause that grows, and the service says it is not ready
 * (503 with the reason, and in the metrics) until the engine reads again; the events of the downtime wait (in the
 * engine's sink in one process, in the durable consumer for a replica) and reach it once it is back. (A dead engine
 * used to be logged only, with /readyz staying green.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Readiness } from '../../src/server/http-server.js';
import type { ServiceConfig } from '../../src/service/config.js';
import { createProactiveRuntime } from '../../src/service/proactive.js';
import type { ProactiveRuntimeFactory } from '../../src/service/proactive-runtime.js';
import { startService } from '../../src/service/service.js';
import { type OwnNats, startOwnNats, uniqueName, uniquePrefix } from '../bus/helpers.js';
import { waitFor, waitForAsync } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, metricValue, tempDir } from './helpers.js';

// A rule the simulated traffic does not fire: the engine reads and settles every event without platform calls.
const RULES = `
version: 1
settings:
  timeZone: UTC
rules:
  - id: whatsapp-ended
    trigger:
      event: conversation.ended
      mediaType: message
      messageType: whatsapp
    history:
      withinDays: 30
      minConversations: 1
    channels: [sms]
    message:
      text: "Thanks for getting in touch."
`;

interface Run {
  startedAt: number;
  endedAt?: number;
}

/** A single replica of a set on a NATS of its own: its engine reads a durable consumer. */
function replicaOf(nats: OwnNats): Partial<ServiceConfig> {
  return {
    bus: {
      url: nats.url,
      stream: uniqueName('restart'),
      subjectPrefix: uniquePrefix('restart'),
      duplicateWindowMs: 600_000,
      durable: 'proactive-restart-test',
      outboxCapacity: 50_000,
    },
    cluster: {
      replicaId: 'replica-1',
      shards: 1,
      spareChannels: 1,
      leaseTtlMs: 5_000,
      bucket: uniqueName('restart').toLowerCase(),
    },
  };
}

describe('a proactive engine that dies', () => {
  it('is started again with backoff, and the service is not ready until it is back', () => dieAndReturn());

  it('does the same in a replica, whose engine reads a durable consumer', async () => {
    const nats = await startOwnNats({ jetstream: true });
    try {
      await dieAndReturn(replicaOf(nats));
    } finally {
      await nats.dispose();
    }
  });
});

async function dieAndReturn(mode: Partial<ServiceConfig> = {}): Promise<void> {
  const emulator = await fastEmulator();
  const temp = tempDir();
  const rulesPath = join(temp.dir, 'rules.yaml');
  writeFileSync(rulesPath, RULES);

  // The real engine, with two faults the test can set off: a crash while it runs, a failure as it starts.
  const runs: Run[] = [];
  let failStarts = 0;
  let crash: (() => void) | undefined;
  const settled = new Set<string>();
  const fragile: ProactiveRuntimeFactory = (input) => {
    const engine = createProactiveRuntime(input);
    return {
      summary: () => engine.summary(),
      run: async (events, signal, options) => {
        const run: Run = { startedAt: Date.now() };
        runs.push(run);
        try {
          if (failStarts > 0) {
            failStarts -= 1;
            throw Object.assign(new Error('the ledger could not be read (injected)'), {
              code: 'ledger_unavailable',
            });
          }
          const inner = new AbortController();
          signal.addEventListener('abort', () => inner.abort(), { once: true });
          let crashed = false;
          crash = () => {
            crashed = true;
            inner.abort();
          };
          await engine.run(events, inner.signal, {
            onEventSettled: (event, error) => {
              if (error === undefined) settled.add(event.id);
              options?.onEventSettled?.(event, error);
            },
          });
          if (crashed) {
            throw Object.assign(new Error('the engine crashed (injected)'), { code: 'engine_crashed' });
          }
        } finally {
          run.endedAt = Date.now();
        }
      },
    };
  };

  const service = await startService({
    config: configFor(emulator, temp.dir, { ...mode, proactive: { rulesPath, dryRun: true } }),
    proactive: fragile,
    reporter: capturingReporter(),
  });
  const readyz = async () => {
    const answer = await fetch(`${service.url}/readyz`);
    return { status: answer.status, body: (await answer.json()) as Readiness & { conditions: string[] } };
  };
  try {
    await waitForAsync(async () => (await readyz()).status === 200, 'the service to be ready', {
      timeoutMs: 15_000,
    });
    await waitFor(() => settled.size > 0, 'the engine to settle live events', { timeoutMs: 15_000 });

    // It dies while running; its first restart fails at once; the second one holds.
    const emittedWhileDown = new Set<string>();
    const offAny = service.stream.onAny((event) => {
      if (service.api.readiness().conditions.includes('engine_down')) emittedWhileDown.add(event.id);
    });
    failStarts = 1;
    crash?.();
    const down = await waitForAsync(
      async () => {
        const answer = await readyz();
        return answer.status === 503 && answer.body.conditions.includes('engine_down') ? answer : undefined;
      },
      '/readyz to say the engine is down',
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    assert.match(
      down.body.reason,
      /proactive engine (down since \S+ after engine_crashed: the engine crashed|restarting)/,
    );
    const metricsDown = await (await fetch(`${service.url}/metrics`)).text();
    assert.equal(metricValue(metricsDown, 'switchboard_ready'), 0);
    assert.equal(metricValue(metricsDown, 'switchboard_not_ready', { condition: 'engine_down' }), 1);
    assert.equal(metricValue(metricsDown, 'switchboard_proactive_engine_up'), 0);

    await waitFor(() => runs.length >= 3, 'two restarts', { timeoutMs: 15_000 });
    await waitForAsync(async () => (await readyz()).status === 200, 'the service to be ready again', {
      timeoutMs: 10_000,
    });
    offAny();
    assert.equal(runs.length, 3, 'the engine held after its second restart');
    // Pauses with jitter over the upper half of a window that doubles: 0.5–1 s, then 1–2 s.
    const firstPause = runs[1]!.startedAt - runs[0]!.endedAt!;
    const secondPause = runs[2]!.startedAt - runs[1]!.endedAt!;
    assert.ok(firstPause >= 490, `a pause before the first restart (${firstPause} ms)`);
    assert.ok(secondPause >= 990, `a longer pause before the second (${secondPause} ms)`);

    const metricsBack = await (await fetch(`${service.url}/metrics`)).text();
    assert.equal(metricValue(metricsBack, 'switchboard_proactive_engine_restarts_total'), 2);
    assert.equal(metricValue(metricsBack, 'switchboard_proactive_engine_up'), 1);
    assert.equal(metricValue(metricsBack, 'switchboard_not_ready', { condition: 'engine_down' }), 0);
    const health = (await (await fetch(`${service.url}/api/health`)).json()) as {
      engine: { state: string; restarts: number; lastError: { code: string; message: string } };
    };
    assert.equal(health.engine.state, 'running');
    assert.equal(health.engine.restarts, 2);
    assert.equal(health.engine.lastError.code, 'ledger_unavailable');

    // What the stream derived while the engine was down reached it once it was back.
    assert.ok(emittedWhileDown.size > 0, 'events went by while the engine was down');
    await waitFor(
      () => [...emittedWhileDown].every((id) => settled.has(id)),
      `the engine to settle the ${emittedWhileDown.size} events of its downtime`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  } finally {
    await service.stop('test done');
    await emulator.stop();
    temp.remove();
  }
}
