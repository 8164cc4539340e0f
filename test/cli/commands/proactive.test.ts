import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerLedgerCommand } from '../../../src/cli/commands/ledger.js';
import { registerProactiveCommand } from '../../../src/cli/commands/proactive.js';
import { silentLogger } from '../../../src/logging.js';
import { RulesValidationError } from '../../../src/proactive/index.js';
import { type Harness, outbound, startHarness } from '../../proactive/helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness({ seed: 2024 });
});
after(() => h.stop());

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function switchboard(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const program = new Command('switchboard').exitOverride();
  const env = {
    GENESYS_CLOUD_REGION: h.emulator.url,
    GENESYS_CLOUD_CLIENT_ID: 'switchboard-demo',
    GENESYS_CLOUD_CLIENT_SECRET: 'switchboard-demo-secret',
  };
  registerProactiveCommand(program, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    logger: silentLogger(),
    env,
  });
  registerLedgerCommand(program, { stdout: stdout.stream });
  await program.parseAsync(['node', 'switchboard', ...args]);
  return { stdout: stdout.text(), stderr: stderr.text() };
}

const SWEEP_RULES = `
settings: { sendsPerMinute: 100000 }
rules:
  - id: check-in
    trigger: { schedule: { every: 1h, lookback: 7d } }
    history: { minConversations: 2, withinDays: 10 }
    channels: [webmessaging, open, sms]
    message: { text: "Hi {{contact.firstName | 'there'}}, how are things?" }
    policy: { quietHours: false }
`;

describe('switchboard proactive and ledger', () => {
  it('prints a dry-run plan with redacted addresses, and sends and records nothing', async () => {
    const rules = join(h.dir, 'sweep.yaml');
    writeFileSync(rules, SWEEP_RULES);
    const db = join(h.dir, 'dry.db');
    const { stdout } = await switchboard(['proactive', '--rules', rules, '--once', '--dry-run', '--db', db]);
    assert.match(
      stdout,
      /^PLAN +rule=check-in {2}customer=[0-9a-f-]{36} {2}channel=(open|sms) {2}to=\*+[\w-]{4}$/m,
    );
    assert.match(stdout, /passed over webmessaging: web messaging cannot receive/);
    assert.match(stdout, /text: "Hi \w+, how are things\?"/);
    assert.match(stdout, /Dry run: nothing sent, nothing recorded\. \d+ decision\(s\): .*\d+ planned/);
    for (const contact of h.emulator.world!.org.contacts) {
      assert.ok(!stdout.includes(contact.phone), 'no full phone number');
      if (contact.openMessagingId)
        assert.ok(!stdout.includes(contact.openMessagingId), 'no full messaging id');
    }
    assert.equal((await outbound(h.emulator)).length, 0);
    const ledger = await switchboard(['ledger', '--db', db]);
    assert.equal(ledger.stdout, 'The ledger has no matching decisions.\n');
  });

  it('sends once with --once, lists the ledger, and sends nothing more on the next run', async () => {
    const rules = join(h.dir, 'sweep.yaml');
    writeFileSync(rules, SWEEP_RULES);
    const db = join(h.dir, 'live.db');
    const first = await switchboard(['proactive', '--rules', rules, '--once', '--db', db]);
    const sent = (first.stdout.match(/^SENT /gm) ?? []).length;
    assert.ok(sent > 0);
    assert.equal((await outbound(h.emulator)).length, sent);

    const second = await switchboard(['proactive', '--rules', rules, '--once', '--db', db]);
    assert.equal((second.stdout.match(/^SENT /gm) ?? []).length, 0);
    assert.match(second.stdout, /^DONE /m);
    assert.equal((await outbound(h.emulator)).length, sent);

    const listed = await switchboard(['ledger', '--db', db, '--json', '--status', 'sent']);
    const entries = JSON.parse(listed.stdout) as {
      status: string;
      toAddress: string;
      history: { status: string }[];
    }[];
    assert.equal(entries.length, sent);
    for (const entry of entries) {
      assert.match(entry.toAddress, /^\*+[\w-]{4}$/);
      assert.deepEqual(
        entry.history.map((e) => e.status),
        ['sending', 'sent'],
      );
    }
    const table = await switchboard(['ledger', '--db', db, '--limit', '3']);
    assert.equal(table.stdout.trim().split('\n').length, 3);
  });

  it('runs the example rules file against the emulator', async () => {
    const { stdout, stderr } = await switchboard([
      'proactive',
      '--rules',
      'examples/rules.yaml',
      '--once',
      '--dry-run',
      '--db',
      join(h.dir, 'example.db'),
    ]);
    assert.match(stdout, /Dry run: nothing sent, nothing recorded\. \d+ decision\(s\)/);
    assert.match(
      stderr,
      /warning: rule "thanks-after-resolved-chat": web messaging cannot receive agentless messages/,
    );
  });

  it('refuses an invalid rules file before connecting', async () => {
    const rules = join(h.dir, 'bad.yaml');
    writeFileSync(
      rules,
      'rules:\n  - id: x\n    trigger: { event: nope }\n    channels: [sms]\n    message: { text: hi }\n',
    );
    await assert.rejects(
      switchboard(['proactive', '--rules', rules, '--once', '--db', join(h.dir, 'bad.db')]),
      (error: unknown) => error instanceof RulesValidationError && /bad\.yaml:3:23/.test(error.message),
    );
  });

  it('says when there is no ledger to read', async () => {
    await assert.rejects(switchboard(['ledger', '--db', join(h.dir, 'missing.db')]), /No ledger at/);
  });
});
