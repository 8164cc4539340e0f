/**
 * The permissions behind each feature, against emulator clients with restricted roles: each missing permission is
 * found by the check that needs it, and its fix names it. The full list is the one docs/real-org.md gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { assertAllPass, check, DEMO, doctor, quietEmulator, rulesYaml, scratch } from './helpers.js';

/** Every permission Switchboard uses: stream, backfill, wrap-up codes, proactive on every channel. */
const EVERY_PERMISSION = [
  'routing:queue:view',
  'analytics:conversationDetail:view',
  'conversation:communication:view',
  'routing:wrapupCode:view',
  'externalContacts:contact:view',
  'conversation:message:create',
  'sms:phoneNumber:view',
  'messaging:integration:view',
];

const without = (permission: string) => ({
  clientId: `without-${permission.replaceAll(':', '-')}`,
  clientSecret: 'secret',
  permissions: EVERY_PERMISSION.filter((p) => p !== permission),
});

const FULL = { clientId: 'full-role', clientSecret: 'secret', permissions: EVERY_PERMISSION };
const NO_ANALYTICS = without('analytics:conversationDetail:view');
const NO_CONVERSATIONS = without('conversation:communication:view');
const NO_QUEUES = without('routing:queue:view');
const NO_CONTACTS = without('externalContacts:contact:view');
const NO_AGENTLESS = without('conversation:message:create');

describe('doctor: permissions by feature', () => {
  let emulator: Emulator;
  const files = scratch();
  let rules: string;
  before(async () => {
    emulator = await quietEmulator([
      FULL,
      NO_ANALYTICS,
      NO_CONVERSATIONS,
      NO_QUEUES,
      NO_CONTACTS,
      NO_AGENTLESS,
    ]);
    rules = files.write('rules.yaml', rulesYaml(['open', 'whatsapp', 'sms']));
  });
  after(async () => {
    await emulator.stop();
    files.cleanup();
  });

  const everything = () => ({ queues: 'all', users: 'all', rules });

  it('the default client passes every check, stream and proactive, within a few dozen requests', async () => {
    const report = await doctor(emulator, DEMO, everything());
    assertAllPass(report);
    const ids = report.checks.map((c) => c.id);
    for (const id of ['queues', 'users', 'analytics', 'conversations', 'topics', 'channels', 'divisions']) {
      assert.ok(ids.includes(id), `${id} was checked`);
    }
    for (const id of ['external-contacts', 'agentless', 'sender-sms', 'sender-whatsapp', 'sender-open']) {
      assert.ok(ids.includes(id), `${id} was checked`);
    }
    assert.ok(report.requests <= 30, `${report.requests} requests`);
    assert.deepEqual(report.leftBehind, [], 'no channel without --probe-topics');
    assert.equal(emulator.status().channels, 0);
  });

  it('a role with exactly the documented permissions passes every check', async () => {
    assertAllPass(await doctor(emulator, FULL, everything()));
  });

  it('missing analytics access fails the analytics check and names the permission to add', async () => {
    const report = await doctor(emulator, NO_ANALYTICS, everything());
    const analytics = check(report, 'analytics');
    assert.equal(analytics.status, 'fail');
    assert.match(analytics.detail, /wrap-up codes, gap backfill, proactive history/);
    assert.match(analytics.detail, /403 missing\.any\.permissions/);
    assert.match(
      analytics.fix ?? '',
      /permission analytics:conversationDetail:view to a role of OAuth client/,
    );
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    assert.deepEqual(failed, ['analytics'], 'nothing else is blamed');
    assert.equal(report.ok, false);
  });

  it('a missing topic permission fails the topic check with the permission the topic requires', async () => {
    const report = await doctor(emulator, NO_CONVERSATIONS, { users: 'all' });
    const topics = check(report, 'topics');
    assert.equal(topics.status, 'fail');
    assert.match(topics.detail, /v2\.users\.\{id\}\.conversations: needs conversation:communication:view/);
    assert.match(topics.fix ?? '', /permission conversation:communication:view/);
    assert.equal(check(report, 'conversations').status, 'fail');
  });

  it('following queues only, a missing conversation read is a warning, not a blocker', async () => {
    const report = await doctor(emulator, NO_CONVERSATIONS, { queues: 'all' });
    assert.equal(check(report, 'conversations').status, 'warn');
    assert.equal(check(report, 'topics').status, 'pass');
    assert.equal(report.ok, true);
  });

  it('a 403 on the queue listing names routing:queue:view, and the queue topic fails with it', async () => {
    const report = await doctor(emulator, NO_QUEUES, { queues: 'all' });
    const queues = check(report, 'queues');
    assert.equal(queues.status, 'fail');
    assert.match(queues.fix ?? '', /permission routing:queue:view/);
    assert.match(check(report, 'topics').detail, /needs routing:queue:view, which the client lacks/);
    assert.equal(check(report, 'divisions').status, 'skip');
  });

  it('proactive: missing external contacts and agentless messaging are each found', async () => {
    const contacts = await doctor(emulator, NO_CONTACTS, { rules });
    assert.equal(check(contacts, 'external-contacts').status, 'fail');
    assert.match(check(contacts, 'external-contacts').fix ?? '', /externalContacts:contact:view/);
    const agentless = await doctor(emulator, NO_AGENTLESS, { rules });
    assert.equal(check(agentless, 'agentless').status, 'fail');
    assert.match(check(agentless, 'agentless').fix ?? '', /conversation:message:create/);
    assert.equal(emulator.world!.outbound().length, 0, 'the agentless probe sent nothing');
  });

  it('a named queue the client cannot see fails the queue check, the ones it sees pass', async () => {
    const known = emulator.world!.org.queues[0]!;
    const report = await doctor(emulator, DEMO, { queues: `${known.name},No Such Queue` });
    const queues = check(report, 'queues');
    assert.equal(queues.status, 'fail');
    assert.match(queues.detail, /Not visible to the client: No Such Queue\./);
    assert.match(queues.fix ?? '', /division/);
    assert.match(check(report, 'divisions').detail, /the queues followed are in Home/);
  });
});
