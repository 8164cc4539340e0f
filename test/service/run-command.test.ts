import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyRunOverrides } from '../../src/cli/commands/run.js';
import { ConfigError } from '../../src/errors.js';
import { parseServiceConfig } from '../../src/service/config.js';
import { runCli, startCli, waitForOutput } from '../cli/helpers.js';
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
      const cli = startCli(['run', '--config', file], {
        script: SCRIPT,
        env: {
          TEST_CLIENT_ID: 'switchboard-demo',
          TEST_CLIENT_SECRET: 'switchboard-demo-secret',
          SWITCHBOARD_LOG_LEVEL: 'warn',
        },
        killAfterMs: 20_000,
      });
      try {
        await waitForOutput(cli, 'stderr', /switchboard: ready: /, 'the service to be ready', 20_000);
        const stderr = cli.stderr();
        assert.match(stderr, /switchboard: region http:\/\/127\.0\.0\.1:\d+, OAuth client switchboard-demo/);
        assert.match(stderr, /switchboard: sinks: file .*events\.jsonl/);
        assert.match(stderr, /switchboard: 1 channel\(s\) of 20 allowed, \d+ topic\(s\) to cover/);
        assert.ok(!stderr.includes('switchboard-demo-secret'), 'the secret is never printed');
        assert.ok(emulator.status().subscriptions > 0);
        const started = Date.now();
        assert.equal(await cli.stop(signal), 0, cli.stderr());
        assert.ok(Date.now() - started < 9000, 'within the shutdown bound');
        assert.match(cli.stderr(), new RegExp(`${signal} received: stopping`));
        assert.match(cli.stderr(), /stopped in [\d.]+ s: subscriptions removed from 1 of 1 channel\(s\)\n/);
        assert.equal(
          emulator.status().subscriptions,
          0,
          'the channel has no subscription left on the platform',
        );
      } finally {
        await cli.stop('SIGKILL');
        await emulator.stop();
        temp.remove();
      }
    });

  it('exits non-zero with the file, line and field of a config problem', async () => {
    const temp = tempDir();
    const file = join(temp.dir, 'bad.yaml');
    writeFileSync(file, 'server:\n  port: eighty\n');
    const { code, stderr } = await runCli(['run', '-c', file], {
      script: SCRIPT,
      env: { GENESYS_CLOUD_REGION: 'mypurecloud.ie' },
    });
    temp.remove();
    assert.equal(code, 2, 'configuration problems exit 2');
    assert.match(
      stderr,
      /^switchboard: Config file .*bad\.yaml is invalid:\n {2}.*bad\.yaml:2:9 {2}server\.port: expected a port number\n {2}hint: /,
    );
  });
});
