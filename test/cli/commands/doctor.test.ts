/**
 * `switchboard doctor` as the command line runs it: the checklist or JSON on stdout, exit code 1 on a blocker and
 * 0 otherwise, settings from the service config or from the environment like `listen`.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerDoctorCommand } from '../../../src/cli/commands/doctor.js';
import type { DoctorReport } from '../../../src/doctor/index.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { DEMO, quietEmulator, scratch } from '../../doctor/helpers.js';

async function switchboard(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ stdout: string; exitCode: number }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const program = new Command('switchboard').exitOverride();
  registerDoctorCommand(program, { stdout, env });
  process.exitCode = undefined;
  await program.parseAsync(['node', 'switchboard', 'doctor', ...args]);
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout: Buffer.concat(chunks).toString('utf8'), exitCode };
}

describe('switchboard doctor', () => {
  let emulator: Emulator;
  const files = scratch();
  let env: Record<string, string>;
  before(async () => {
    emulator = await quietEmulator();
    env = {
      GENESYS_CLOUD_REGION: emulator.url,
      GENESYS_CLOUD_CLIENT_ID: DEMO.clientId,
      GENESYS_CLOUD_CLIENT_SECRET: DEMO.clientSecret,
    };
  });
  afterEach(() => {
    process.exitCode = undefined;
  });
  after(async () => {
    await emulator.stop();
    files.cleanup();
  });

  it('prints the checklist and exits 0 when nothing blocks', async () => {
    const { stdout, exitCode } = await switchboard(['--queues', 'all'], env);
    assert.equal(exitCode, 0);
    assert.match(stdout, /^switchboard doctor — region http:\/\/127\.0\.0\.1:\d+, client switchboard-demo/);
    assert.match(stdout, /\[ok\] {4}OAuth client/);
    assert.match(stdout, /0 failed/);
    assert.match(stdout, /No blockers/);
  });

  it('exits 1 on a blocker and prints the fix under it', async () => {
    const { stdout, exitCode } = await switchboard(['--client-secret', 'wrong'], env);
    assert.equal(exitCode, 1);
    assert.match(stdout, /\[FAIL\] {2}OAuth client\n.*refused its secret/);
    assert.match(stdout, /fix: Copy the secret/);
  });

  it('--json prints one stable document', async () => {
    const { stdout, exitCode } = await switchboard(['--json', '--users', 'all'], env);
    assert.equal(exitCode, 0);
    const report = JSON.parse(stdout) as DoctorReport;
    assert.equal(report.version, 1);
    assert.equal(report.ok, true);
    assert.deepEqual(Object.keys(report), [
      'version',
      'ok',
      'region',
      'clientId',
      'checks',
      'summary',
      'requests',
      'leftBehind',
    ]);
    for (const entry of report.checks) {
      assert.deepEqual(
        Object.keys(entry).filter((k) => k !== 'fix'),
        ['id', 'title', 'status', 'detail'],
      );
    }
    assert.equal(report.summary.fail, 0);
    assert.ok(report.checks.some((c) => c.id === 'users'));
  });

  it('--config reads the service config: its stream selection and its rules file', async () => {
    const rules = files.write(
      'rules.yaml',
      [
        'rules:',
        '  - id: check-in',
        '    trigger: { schedule: { every: 1h, lookback: 7d } }',
        '    history: { withinDays: 10, minConversations: 1 }',
        '    channels: [open]',
        '    message: { text: "Hello" }',
        '',
      ].join('\n'),
    );
    const config = files.write(
      'switchboard.yaml',
      [
        'genesys:',
        '  region: env:DOCTOR_REGION',
        '  clientId: switchboard-demo',
        '  clientSecret: env:DOCTOR_SECRET',
        'stream: { users: all }',
        `proactive: { rules: ${JSON.stringify(rules)} }`,
        '',
      ].join('\n'),
    );
    const { stdout, exitCode } = await switchboard(['--config', config, '--json'], {
      DOCTOR_REGION: emulator.url,
      DOCTOR_SECRET: DEMO.clientSecret,
    });
    const report = JSON.parse(stdout) as DoctorReport;
    assert.equal(exitCode, 0, stdout);
    const ids = report.checks.map((c) => c.id);
    assert.ok(ids.includes('users') && !ids.includes('queues'), ids.join(','));
    assert.ok(ids.includes('sender-open') && !ids.includes('sender-sms'), ids.join(','));
  });

  it('an invalid config file is a failed check with its problems, not a crash', async () => {
    const config = files.write('broken.yaml', 'stream: { queues: 12 }\n');
    const { stdout, exitCode } = await switchboard(['--config', config], env);
    assert.equal(exitCode, 1);
    assert.match(stdout, /\[FAIL\] {2}Configuration\n.*broken\.yaml/);
  });
});
