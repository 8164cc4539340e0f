/**
 * `switchboard listen` behind a corporate proxy: with HTTP_PROXY set (the emulator speaks http and ws; the platform's
 * https and wss go through HTTPS_PROXY the same way), the login, every REST call and the notification WebSocket go
 * through a real proxy on loopback that asks for credentials, and events flow as they do without it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '../../src/emulator/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { startRecordingProxy } from '../platform/support/recording-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-proxy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

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
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', bin, 'listen', '--queues', 'all', '--db', join(dir, 'listen.db')],
      {
        env: {
          ...process.env,
          GENESYS_CLOUD_REGION: emulator.url,
          GENESYS_CLOUD_CLIENT_ID: 'switchboard-demo',
          GENESYS_CLOUD_CLIENT_SECRET: 'switchboard-demo-secret',
          HTTP_PROXY: `http://ops:s3cret%21@127.0.0.1:${proxy.port}`,
          http_proxy: '',
          NO_PROXY: '',
          no_proxy: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const events = () => stdout.split('\n').filter(Boolean);
      await waitFor(() => events().length >= 10 || child.exitCode !== null, 'ten events through the proxy', {
        timeoutMs: 45_000,
      });
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);

      const truth = new Set(emulator.world!.groundTruth().map((fact) => fact.id));
      const printed = events().map((line) => (JSON.parse(line) as { id: string }).id);
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

      assert.match(stderr, new RegExp(`network: proxy 127\\.0\\.0\\.1:${proxy.port} \\(HTTP_PROXY\\)`));
      assert.ok(!stderr.includes('s3cret'), 'the proxy password is never logged');
      assert.ok(!stderr.includes('switchboard-demo-secret'), 'the client secret is never logged');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await proxy.close();
      await emulator.stop();
    }
  });
});
