import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emulatorOptionsFromCli } from '../../../src/cli/commands/emulator.js';
import { ConfigError } from '../../../src/errors.js';
import { startCli, waitForOutput } from '../helpers.js';

/** A child process running `switchboard emulator` through the registered command. */
const SCRIPT = `
import { Command } from 'commander';
import { registerEmulatorCommand } from './src/cli/commands/emulator.ts';
const program = new Command('switchboard');
registerEmulatorCommand(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

describe('switchboard emulator', () => {
  it('maps command-line options to emulator and world settings', () => {
    const options = emulatorOptionsFromCli({
      port: '0',
      heartbeatInterval: '250',
      tokenLifetime: '60',
      rateLimit: '10',
      traffic: '2.5',
      agents: '4',
      seed: '7',
      client: ['reader:pw:routing:queue:view,analytics:conversationDetail:view', 'admin:pw2'],
    });
    assert.equal(options.port, 0);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.heartbeatIntervalMs, 250);
    assert.equal(options.tokenLifetimeSeconds, 60);
    assert.equal(options.rateLimitPerMinute, 10);
    assert.equal(options.conversationsPerMinute, 2.5);
    assert.equal(options.agents, 4);
    assert.equal(options.seed, 7);
    assert.equal('queues' in options, false);
    assert.deepEqual(options.clients, [
      {
        clientId: 'reader',
        clientSecret: 'pw',
        permissions: ['routing:queue:view', 'analytics:conversationDetail:view'],
      },
      { clientId: 'admin', clientSecret: 'pw2', permissions: ['*'] },
    ]);
    assert.throws(() => emulatorOptionsFromCli({ port: 'eighty' }), ConfigError);
    assert.throws(() => emulatorOptionsFromCli({ heartbeatInterval: '0' }), ConfigError);
    assert.throws(() => emulatorOptionsFromCli({ client: ['no-secret'] }), ConfigError);
  });

  it('adds the EventBridge integration and its SQS port when asked', () => {
    assert.equal(emulatorOptionsFromCli({}).eventBridge, undefined);
    assert.equal(emulatorOptionsFromCli({ eventbridge: true }).eventBridge, true);
    assert.deepEqual(emulatorOptionsFromCli({ eventbridge: true, sqsPort: '9324' }).eventBridge, {
      sqsPort: 9324,
    });
    assert.throws(() => emulatorOptionsFromCli({ eventbridge: true, sqsPort: 'x' }), ConfigError);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    it(`starts, prints its URL and clients, serves, and stops cleanly on ${signal}`, async () => {
      const cli = startCli(
        ['emulator', '--port', '0', '--no-world', '--client', 'reader:reader-secret:routing:queue:view'],
        { script: SCRIPT, env: { SWITCHBOARD_LOG_LEVEL: 'warn' }, killAfterMs: 15_000 },
      );
      try {
        const listening = /listening on (http:\/\/\S+)[\s\S]*Ctrl\+C/;
        const url = (await waitForOutput(cli, 'stdout', listening, 'the emulator to listen', 15_000))[1]!;
        const output = cli.stdout();
        assert.match(output, /switchboard-demo \/ switchboard-demo-secret \/ all/);
        assert.match(output, /reader \/ reader-secret \/ routing:queue:view/);
        const status = await fetch(`${url}/__emulator/status`);
        assert.equal(status.status, 200);
        const token = await fetch(`${url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from('reader:reader-secret').toString('base64')}` },
          body: new URLSearchParams({ grant_type: 'client_credentials' }),
        });
        assert.equal(token.status, 200);
        assert.equal(await cli.stop(signal), 0);
        await assert.rejects(fetch(`${url}/__emulator/status`));
      } finally {
        await cli.stop('SIGKILL');
      }
    });
});
