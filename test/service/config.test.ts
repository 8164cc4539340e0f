import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, MissingCredentialsError } from '../../src/errors.js';
import {
  checkServerAccess,
  isLoopbackHost,
  loadServiceConfig,
  parseServiceConfig,
} from '../../src/service/config.js';
import { fillEnvRefs } from '../../src/service/env-refs.js';

const env = {
  GENESYS_CLOUD_REGION: 'mypurecloud.ie',
  GENESYS_CLOUD_CLIENT_ID: 'client-from-env',
  GENESYS_CLOUD_CLIENT_SECRET: 'secret-from-env',
  HOOK_SECRET: 'hook-secret',
  SWITCHBOARD_TOKEN: 'token-token-token-token',
};

function problem(text: string, file = '/etc/switchboard/switchboard.yaml'): string {
  try {
    parseServiceConfig(text, { env, file });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the config to be refused');
}

describe('service config', () => {
  it('fills defaults and takes credentials from the environment', () => {
    const config = parseServiceConfig('{}', { env, file: '/srv/sb/switchboard.yaml' });
    assert.equal(config.genesys.region.domain, 'mypurecloud.ie');
    assert.equal(config.genesys.clientId, 'client-from-env');
    assert.equal(config.genesys.clientSecret, 'secret-from-env');
    assert.deepEqual(config.stream.selection, { queues: 'all' });
    assert.equal(config.stream.backfill, true);
    assert.equal(config.store.path, '/srv/sb/switchboard.db', 'relative to the config file');
    assert.deepEqual(config.sinks, []);
    assert.equal(config.proactive, undefined);
    assert.deepEqual(config.server, {
      host: '127.0.0.1',
      port: 8080,
      showCustomerData: false,
      recentEvents: 1000,
    });
    assert.equal(config.shutdownTimeoutMs, 10_000);
  });

  it('reads every section, with env references, durations and sinks in both forms', () => {
    const text = `
genesys:
  region: http://127.0.0.1:8787
  clientId: env:GENESYS_CLOUD_CLIENT_ID
  clientSecret: "\${GENESYS_CLOUD_CLIENT_SECRET}"
  requestsPerMinute: 200
stream:
  queues: [Sales, Billing]
  users: all
  rediscoverEvery: 5m
  timing: { heartbeatInterval: 30s, watchdogMultiple: 2.5 }
store: { path: ./data/sb.db }
sinks:
  - stdout
  - file:./events.jsonl?keep=3
  - kind: webhook
    url: https://hooks.example.test/in
    secret: env:HOOK_SECRET
    retry: { maxAttempts: 0 }
proactive:
  rules: rules.yaml
  dryRun: true
  dueCheckInterval: 20s
  client: { clientId: campaigns, clientSecret: env:HOOK_SECRET, requestsPerMinute: 250 }
server: { host: 0.0.0.0, port: 9090, token: "\${SWITCHBOARD_TOKEN}", showCustomerData: true }
logging: { level: info }
shutdown: { timeout: 8s }
`;
    const config = parseServiceConfig(text, { env, file: '/srv/sb/switchboard.yaml' });
    assert.equal(config.genesys.region.apiBaseUrl, 'http://127.0.0.1:8787');
    assert.equal(config.genesys.clientSecret, 'secret-from-env');
    assert.equal(config.genesys.requestsPerMinute, 200);
    assert.deepEqual(config.stream.selection, { queues: ['Sales', 'Billing'], users: 'all' });
    assert.equal(config.stream.rediscoverEveryMs, 300_000);
    assert.deepEqual(config.stream.timing, { heartbeatIntervalMs: 30_000, watchdogMultiple: 2.5 });
    assert.equal(config.store.path, '/srv/sb/data/sb.db');
    assert.equal(config.sinks.length, 3);
    assert.deepEqual(config.sinks[1], { kind: 'file', path: '/srv/sb/events.jsonl', keep: 3 });
    const webhook = config.sinks[2]!;
    assert.equal(webhook.kind, 'webhook');
    if (webhook.kind === 'webhook') {
      assert.equal(webhook.secret, 'hook-secret');
      assert.equal(webhook.retry?.maxAttempts, Number.POSITIVE_INFINITY);
    }
    assert.deepEqual(config.proactive, {
      rulesPath: '/srv/sb/rules.yaml',
      dryRun: true,
      dueCheckMs: 20_000,
      client: { clientId: 'campaigns', clientSecret: 'hook-secret', requestsPerMinute: 250 },
    });
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.token, 'token-token-token-token');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownTimeoutMs, 8000);
  });

  it('lists every problem with file, line, column, field and what was expected', () => {
    const message = problem(`server:
  port: 99999
  prot: 1
stream:
  queues: some
  timing: { heartbeatInterval: soon }
sinks:
  - kind: ftp
genesys:
  clientSecret: env:NOT_SET_ANYWHERE
`);
    const lines = message.split('\n');
    assert.match(lines[0]!, /^Config file \/etc\/switchboard\/switchboard\.yaml is invalid:$/);
    const find = (field: string) => lines.find((line) => line.includes(` ${field}: `));
    assert.match(
      find('server.port')!,
      /switchboard\.yaml:2:9 {2}server\.port: expected a port from 0 to 65535/,
    );
    assert.match(
      find('server.prot')!,
      /:3:3 {2}server\.prot: unknown setting "prot" \(expected one of: host, port, token/,
    );
    assert.match(find('stream.queues')!, /:5:11 {2}stream\.queues: expected "all" or a list of ids/);
    assert.match(find('stream.timing.heartbeatInterval')!, /expected a duration such as "30s".*got "soon"/);
    assert.match(
      find('sinks[0].kind')!,
      /:8:11 {2}sinks\[0\]\.kind: expected kind: stdout, file, webhook or nats/,
    );
    assert.match(
      find('genesys.clientSecret')!,
      /:10:17 {2}genesys\.clientSecret: environment variable NOT_SET_ANYWHERE is not set/,
    );
  });

  it('reports a bad sink spec at its place, and YAML syntax errors with their position', () => {
    assert.match(
      problem('sinks:\n  - stdout\n  - "webhook:https://x.test/h"\n'),
      /switchboard\.yaml:3:5 {2}sinks\[1\]: webhook:https:\/\/x\.test\/h: a signing secret is required/,
    );
    assert.match(problem('server: [unclosed\n'), /switchboard\.yaml:\d+:\d+: not valid YAML/);
  });

  it('refuses a non-loopback bind without a token, and tokens too short to resist guessing', () => {
    assert.match(
      problem('server: { host: 0.0.0.0 }'),
      /server\.host: binding 0\.0\.0\.0 exposes the dashboard and API beyond this machine: set server\.token/,
    );
    assert.match(
      problem('server: { token: short }'),
      /server\.token: server\.token must be at least 16 characters/,
    );
    assert.equal(checkServerAccess({ host: '::1' }), undefined);
    assert.equal(checkServerAccess({ host: '192.0.2.10', token: 'x'.repeat(16) }), undefined);
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3'])
      assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.test']) assert.ok(!isLoopbackHost(host), host);
  });

  it('says which credential is missing when neither the file nor the environment has it', () => {
    assert.throws(
      () => parseServiceConfig('genesys: { region: mypurecloud.de, clientId: abc }', { env: {} }),
      (error: unknown) => error instanceof MissingCredentialsError && /client secret/.test(error.message),
    );
  });

  it('reads a file from disk and names it when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'switchboard.yaml');
    writeFileSync(file, 'server: { port: 0 }\n');
    assert.equal(loadServiceConfig(file, { env }).server.port, 0);
    assert.throws(
      () => loadServiceConfig(join(dir, 'missing.yaml'), { env }),
      /Cannot read config file .*missing\.yaml/,
    );
  });

  it('fills $-brace NAME, NAME:-default references and env:NAME, collecting the unset ones', () => {
    const ref = (inner: string) => `$${'{'}${inner}}`;
    const unset: Array<{ path: Array<string | number>; variable: string }> = [];
    const filled = fillEnvRefs(
      { a: `x-${ref('A')}-y`, b: ['env:B', ref('C:-fallback')], c: 'env:MISSING', d: 3, e: 'env:not a ref' },
      { A: '1', B: '2' },
      unset,
    );
    assert.deepEqual(filled, { a: 'x-1-y', b: ['2', 'fallback'], c: '', d: 3, e: 'env:not a ref' });
    assert.deepEqual(unset, [{ path: ['c'], variable: 'MISSING' }]);
  });
});

describe('examples/switchboard.yaml', () => {
  it('is valid and, with no environment, points at the local emulator with the example rules in dry run', () => {
    const config = loadServiceConfig('examples/switchboard.yaml', { env: {} });
    assert.equal(config.genesys.region.apiBaseUrl, 'http://127.0.0.1:8787');
    assert.equal(config.genesys.clientId, 'switchboard-demo');
    assert.deepEqual(config.stream.selection, { queues: 'all', users: 'all' });
    assert.equal(config.stream.timing.heartbeatIntervalMs, 30_000);
    assert.match(config.proactive?.rulesPath ?? '', /examples\/rules\.yaml$/);
    assert.equal(config.proactive?.dryRun, true);
    assert.equal(config.sinks[0]?.kind, 'file');
    assert.equal(config.server.host, '127.0.0.1');
    const real = loadServiceConfig('examples/switchboard.yaml', { env });
    assert.equal(
      real.genesys.region.domain,
      'mypurecloud.ie',
      'the environment wins over the emulator defaults',
    );
    assert.equal(real.genesys.clientSecret, 'secret-from-env');
  });
});
