/**
 * `switchboard listen` behind a corporate proxy: with HTTP_PROXY set (the emulator speaks http and ws; the platform's
 * https and wss go through HTTPS_PROXY the same way), the login, every REST call and the notification WebSocket go
 * through a real proxy on loopback that asks for credentials, and events flow as they do without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRecordingProxy } from '../platform/support/recording-proxy.js';
import { emulatorLoginEnv, jsonLineIds, startCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-proxy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('switchboard listen through a proxy', () => {
  it('logs in, reads and listens through the proxy, and never shows its password', async () => {
    const emulator = await startEmulator({
      port: 0,
      seed: 5,
      timeScale: 30,
      conversationsPerMinute: 40,
      historyDays: 0,
    });
    const proxy = await startRecordingProxy({ credentials: 'ops:s3cret!' });
    const cli = startCli(['listen', '--queues', 'all', '--db', join(dir, 'listen.db')], {
      env: {
        ...emulatorLoginEnv(emulator.url),
        HTTP_PROXY: `http://ops:s3cret%21@127.0.0.1:${proxy.port}`,
        http_proxy: '',
        NO_PROXY: '',
        no_proxy: '',
      },
    });
    try {
      await waitFor(
        () => cli.stdout().split('\n').filter(Boolean).length >= 10 || cli.child.exitCode !== null,
        'ten events through the proxy',
        { timeoutMs: 45_000 },
      );
      assert.equal(await cli.stop(), 0, cli.stderr());

      const truth = new Set(emulator.world!.groundTruth().map((fact) => fact.id));
      const printed = jsonLineIds(cli.stdout());
      assert.ok(printed.length >= 10, `events printed (${printed.length})`);
      assert.ok(
        printed.every((id) => truth.has(id)),
        'every printed event happened',
      );

      const emulatorHost = new URL(emulator.url).host;
      const expected = `Basic ${Buffer.from('ops:s3cret!').toString('base64')}`;
      assert.ok(proxy.tunnels.length > 0, 'tunnels were opened');
      for (const tunnel of proxy.tunnels) {
        assert.equal(tunnel.target, emulatorHost);
        assert.equal(tunnel.authorization, expected);
      }
      const lines = proxy.tunnelledRequests();
      assert.ok(
        lines.some((r) => r.line.startsWith('POST /oauth/token ')),
        'the login went through the proxy',
      );
      assert.ok(
        lines.some((r) => r.line.startsWith('GET /api/v2/routing/queues')),
        'REST went through the proxy',
      );
      assert.ok(
        lines.some((r) => r.upgrade === 'websocket'),
        'the notification socket went through the proxy',
      );

      const stderr = cli.stderr();
      assert.match(stderr, new RegExp(`network: proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTP_PROXY\\)`));
      assert.ok(!stderr.includes('s3cret'), 'the proxy password is never logged');
      assert.ok(!stderr.includes('switchboard-demo-secret'), 'the client secret is never logged');
    } finally {
      await cli.stop('SIGKILL');
      await proxy.close();
      await emulator.stop();
    }
  });
});
