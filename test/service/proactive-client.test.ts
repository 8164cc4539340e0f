/**
 * `proactive.client`: the engine's lookups and sends go through a second OAuth client with its own rate budget, so a
 * campaign never takes the stream's 300 requests a minute.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OutboundRecord } from '../../src/emulator/world/index.js';
import { createProactiveRuntime } from '../../src/service/proactive.js';
import { startService } from '../../src/service/service.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, tempDir } from './helpers.js';

const RULES = fileURLToPath(new URL('../fixtures/replica-rules.yaml', import.meta.url));

describe('service with a second OAuth client for proactive work', () => {
  it('sends from that client, while the stream keeps its own', async () => {
    const emulator = await fastEmulator({
      historyDays: 7,
      conversationsPerMinute: 60,
      clients: [{ clientId: 'campaigns', clientSecret: 'campaigns-secret', permissions: ['*'] }],
    });
    const { dir, remove } = tempDir();
    const reporter = capturingReporter();
    const service = await startService({
      config: configFor(emulator, dir, {
        proactive: {
          rulesPath: RULES,
          dryRun: false,
          dueCheckMs: 2000,
          client: { clientId: 'campaigns', clientSecret: 'campaigns-secret' },
        },
      }),
      proactive: createProactiveRuntime,
      reporter,
    });
    try {
      assert.ok(reporter.lines.some((line) => /own OAuth client campaigns/.test(line)));
      let sends: OutboundRecord[] = [];
      await waitForAsync(
        async () => {
          const body = (await (await fetch(`${emulator.url}/__emulator/outbound`)).json()) as {
            sends: OutboundRecord[];
          };
          sends = body.sends;
          return sends.length > 0;
        },
        'a proactive send',
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      assert.ok(
        sends.every((s) => s.clientId === 'campaigns'),
        'every send came from the proactive client',
      );
      const streamCalls = service.platform.stats().budget.purposes;
      assert.equal(streamCalls.proactive.granted, 0, 'the stream client made no proactive calls');
      assert.ok(streamCalls.channel.granted > 0, 'the stream client made its channel calls');
    } finally {
      await service.stop('test done');
      await emulator.stop();
      remove();
    }
  });
});
