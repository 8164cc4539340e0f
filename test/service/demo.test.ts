import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDemo } from '../../src/service/demo.js';
import { createProactiveRuntime } from '../../src/service/proactive.js';
import { waitForAsync } from '../helpers/wait-for.js';
import { capturingReporter } from './helpers.js';

interface LedgerBody {
  enabled: boolean;
  entries: Array<{ outcome: string; channel?: string; to?: string; ruleId: string; customerId: string }>;
}

describe('switchboard demo', () => {
  it('sends and records a proactive message, and lets the dashboard inject only known faults', async () => {
    const reporter = capturingReporter();
    const demo = await startDemo({
      port: 0,
      heartbeatIntervalMs: 500,
      timeScale: 20,
      conversationsPerMinute: 20,
      historyDays: 7,
      proactive: createProactiveRuntime,
      reporter,
    });
    try {
      assert.ok(reporter.lines.some((line) => /quiet hours off for the demo/.test(line)));
      const health = (await (await fetch(`${demo.url}/api/health`)).json()) as { mode: string };
      assert.equal(health.mode, 'demo');

      // The example rules' first sweep contacts a returning customer: sent on the emulator, recorded in the ledger.
      let sent: LedgerBody['entries'] = [];
      await waitForAsync(
        async () => {
          const body = (await (await fetch(`${demo.url}/api/ledger?status=sent`)).json()) as LedgerBody;
          sent = body.entries;
          return sent.length > 0;
        },
        'a proactive message sent and recorded',
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      const entry = sent[0]!;
      assert.equal(entry.outcome, 'sent');
      assert.ok(entry.channel && ['open', 'sms', 'whatsapp'].includes(entry.channel));
      assert.match(entry.to ?? '', /^\*{3,}.{0,4}$/, 'the address is masked');
      const outbound = (await (await fetch(`${demo.emulator.url}/__emulator/outbound`)).json()) as {
        total: number;
      };
      assert.ok(outbound.total >= sent.length, 'the emulator received the sends');

      const post = (body: string, type = 'application/json') =>
        fetch(`${demo.url}/api/faults`, { method: 'POST', headers: { 'Content-Type': type }, body });
      const unknown = await post('{"type":"clear-request-faults"}');
      assert.equal(unknown.status, 400);
      assert.match(
        ((await unknown.json()) as { error: string }).error,
        /unknown fault type; expected one of drop-sockets/,
      );
      assert.equal((await post('{"type":"drop-sockets"}', 'text/plain')).status, 415);
      assert.equal((await post('{not json')).status, 400);
      const before = demo.service.stream.health().pool!.channels[0]!.reconnects;
      const dropped = await post('{"type":"drop-sockets"}');
      assert.equal(dropped.status, 200);
      assert.deepEqual(await dropped.json(), { type: 'drop-sockets', affected: 1 });
      await waitForAsync(
        () => {
          const channel = demo.service.stream.health().pool!.channels[0]!;
          return channel.reconnects > before && channel.state === 'connected';
        },
        'the channel to reconnect',
        { timeoutMs: 10_000, intervalMs: 50 },
      );
    } finally {
      await demo.stop();
    }
  });
});
