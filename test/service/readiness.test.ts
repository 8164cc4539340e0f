/**
 * `/readyz` against real parts: a webhook whose receiver fails makes the service not ready once the sink's oldest
 * event has waited past `readiness.maxBacklogAge`, and a gap (the emulator drops the sockets) once it has stayed
 * unrecovered past `readiness.maxGapAge`; each says so in its reason, and readiness comes back by itself.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Readiness } from '../../src/server/http-server.js';
import { startService } from '../../src/service/service.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, metricValue, tempDir } from './helpers.js';

describe('readiness of the service', () => {
  it('is 503 while a sink is behind or a gap is old, with the reason, and 200 once they are not', async () => {
    let receiverUp = false;
    let received = 0;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (receiverUp) received += 1;
        response.writeHead(receiverUp ? 200 : 503).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const emulator = await fastEmulator();
    const temp = tempDir();
    const service = await startService({
      config: configFor(emulator, temp.dir, {
        sinks: [
          {
            kind: 'webhook',
            name: 'hooks',
            url: hookUrl,
            secret: 'a-signing-secret-for-the-test',
            retry: { initialDelayMs: 100, maxDelayMs: 300 },
          },
        ],
        readiness: { maxBacklogAgeMs: 1000, maxGapAgeMs: 1000 },
      }),
      reporter: capturingReporter(),
    });
    const readyz = async () => {
      const answer = await fetch(`${service.url}/readyz`);
      return { status: answer.status, body: (await answer.json()) as Readiness & { conditions: string[] } };
    };
    const notReadyFor = (condition: string, what: string) =>
      waitForAsync(
        async () => {
          const answer = await readyz();
          return answer.status === 503 && answer.body.conditions.includes(condition)
            ? answer.body
            : undefined;
        },
        what,
        { timeoutMs: 15_000, intervalMs: 50 },
      );
    const ready = (what: string) =>
      waitForAsync(async () => (await readyz()).status === 200, what, { timeoutMs: 30_000, intervalMs: 100 });
    try {
      // The receiver refuses everything: the sink retries, its oldest event ages past the bound.
      const behind = await notReadyFor('sink_backlog', "/readyz to say the webhook's events wait too long");
      assert.match(
        behind.reason,
        /sink hooks: its oldest undelivered event has waited \d+\.\d s \(bound 1\.0 s\)/,
      );
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      assert.equal(metricValue(metrics, 'switchboard_ready'), 0);
      assert.equal(metricValue(metrics, 'switchboard_not_ready', { condition: 'sink_backlog' }), 1);
      assert.ok(
        (metricValue(metrics, 'switchboard_sink_oldest_pending_seconds', { sink: 'hooks' }) ?? 0) > 1,
      );

      receiverUp = true;
      await ready('the webhook to catch up and the service to be ready');
      assert.ok(received > 0, 'the receiver got the events that waited');

      // Sockets dropped: a gap, recovered once analytics has had time to catch up (10 s) — past the 1 s bound.
      emulator.faults.dropSockets();
      const gap = await notReadyFor('gap_unrecovered', '/readyz to say a gap is not recovered');
      assert.match(gap.reason, /a gap is not recovered since \S+ \(\d+\.\d s ago, bound 1\.0 s\)/);
      await ready('the gap to be recovered and the service to be ready');
    } finally {
      await service.stop('test done');
      await emulator.stop();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      temp.remove();
    }
  });
});
