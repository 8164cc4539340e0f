import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyRunOverrides } from '../../src/cli/commands/run.js';
import { ConfigError } from '../../src/errors.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { fastEmulator, HEARTBEAT_MS, tempDir } from './helpers.js';

/** A child process running `switchboard run` through the registered command. */
const SCRIPT = `
import { Command } from 'commander';
import { registerRunCommand } from './src/cli/commands/run.ts';
import { reportError } from './src/cli/main.ts';
const program = new Command('switchboard');
registerRunCommand(program);
try {
  await program.parseAsync(process.argv.slice(1), { from: 'user' });
} catch (error) {
  process.exitCode = reportError(error);
}
`;

describe('switchboard run', () => {
  it('applies --port and --host, refusing a non-loopback host without a token', () => {
    const config = parseServiceConfig('genesys: { region: mypurecloud.ie, clientId: a, clientSecret: b }', {
      env: {},
    });
    assert.equal(applyRunOverrides(config, { port: '0' }).server.port, 0);
    assert.throws(() => applyRunOverrides(config, { port: 'http' }), ConfigError);
    assert.throws(
      () => applyRunOverrides(config, { host: '0.0.0.0' }),
      (error: unknown) =>
        error instanceof ConfigError && /Refusing to start: binding 0\.0\.0\.0/.test(error.message),
    );
    assert.equal(applyRunOverrides(config, { logLevel: 'debug' }).logLevel, 'debug');
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`on ${signal}: stops taking frames, removes the subscriptions and exits 0 within the bound`, async () => {
      const emulator = await fastEmulator();
      const temp = tempDir();
      const file = join(temp.dir, 'switchboard.yaml');
      writeFileSync(
        file,
        `genesys:
  region: ${emulator.url}
  clientId: env:TEST_CLIENT_ID
  clientSecret: \${TEST_CLIENT_SECRET}
stream:
  queues: all
  users: all
  timing: { heartbeatInterval: ${HEARTBEAT_MS} }
sinks:
  - file:./events.jsonl
server: { port: 0 }
shutdown: { timeout: 8s }
`,
      );
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, 'run', '--config', file],
        {
          cwd: process.cwd(),
          env: {
            ...process.env,
            TEST_CLIENT_ID: 'switchboard-demo',
            TEST_CLIENT_SECRET: 'switchboard-demo-secret',
            SWITCHBOARD_LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          const check = () => {
            if (/switchboard: ready: /.test(stderr)) resolve();
          };
          child.stderr.on('data', check);
          child.on('exit', () => reject(new Error(`exited early:\n${stderr}`)));
        });
        assert.match(stderr, /switchboard: region http:\/\/127\.0\.0\.1:\d+, OAuth client switchboard-demo/);
        assert.match(stderr, /switchboard: sinks: file .*events\.jsonl/);
        assert.match(stderr, /switchboard: 1 channel\(s\) of 20 allowed, \d+ topic\(s\) to cover/);
        assert.ok(!stderr.includes('switchboard-demo-secret'), 'the secret is never printed');
        assert.ok(emulator.status().subscriptions > 0);
        const started = Date.now();
        child.kill(signal);
        assert.equal(await exited, 0, stderr);
        assert.ok(Date.now() - started < 9000, 'within the shutdown bound');
        assert.match(stderr, new RegExp(`${signal} received: stopping`));
        assert.match(stderr, /stopped in [\d.]+ s: subscriptions removed from 1 of 1 channel\(s\)\n/);
        assert.equal(
          emulator.status().subscriptions,
          0,
          'the channel has no subscription left on the platform',
        );
      } finally {
        clearTimeout(killer);
        if (child.exitCode === null) child.kill('SIGKILL');
        await emulator.stop();
        temp.remove();
      }
    });

  it('exits non-zero with the file, line and field of a config problem', async () => {
    const temp = tempDir();
    const file = join(temp.dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: eighty\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, 'run', '-c', file],
      {
        cwd: process.cwd(),
        env: { ...process.env, GENESYS_CLOUD_REGION: 'mypurecloud.ie' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    temp.remove();
    assert.equal(code, 2, 'configuration problems exit 2');
    assert.match(
      stderr,
      /^switchboard: Config file .*bad\.yaml is invalid:\n {2}.*bad\.yaml:2:9 {2}server\.port: expected a port number\n {2}hint: /,
    );
  });
});
