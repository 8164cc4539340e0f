/**
 * The senders the proactive rules name: an SMS number must be provisioned, ACTIVE and able to send SMS; a WhatsApp
 * or Open Messaging integration must exist and be Active. Checked against the emulator's org, whose numbers a test
 * may put in another state (as provisioning would).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Emulator } from '../../src/emulator/index.js';
import { check, DEMO, doctor, quietEmulator, rulesYaml, scratch } from './helpers.js';

const NO_SMS_NUMBERS = {
  clientId: 'no-sms-numbers',
  clientSecret: 'secret',
  permissions: [
    'analytics:conversationDetail:view',
    'externalContacts:contact:view',
    'routing:wrapupCode:view',
    'conversation:message:create',
  ],
};

describe('doctor: proactive senders', () => {
  let emulator: Emulator;
  const files = scratch();
  before(async () => {
    emulator = await quietEmulator([NO_SMS_NUMBERS]);
  });
  after(async () => {
    await emulator.stop();
    files.cleanup();
  });

  it('an inactive SMS number named by the rules fails, and the fix names an active one', async () => {
    const [active, pending] = emulator.world!.org.smsNumbers;
    pending!.status = 'PENDING';
    try {
      const rules = files.write(
        'pending-sms.yaml',
        rulesYaml(['sms'], ` sms: { fromAddress: "${pending!.phoneNumber}" } `),
      );
      const report = await doctor(emulator, DEMO, { rules });
      const sender = check(report, 'sender-sms');
      assert.equal(sender.status, 'fail');
      assert.match(sender.detail, new RegExp(`\\${pending!.phoneNumber} is PENDING, not ACTIVE`));
      assert.match(
        sender.fix ?? '',
        new RegExp(`settings\\.senders\\.sms\\.fromAddress .*\\${active!.phoneNumber}`),
      );
      assert.ok(!(sender.fix ?? '').includes(pending!.phoneNumber), 'the inactive number is not offered');
      assert.equal(report.ok, false);
    } finally {
      pending!.status = 'ACTIVE';
    }
  });

  it('the same number once ACTIVE passes', async () => {
    const number = emulator.world!.org.smsNumbers[1]!;
    const rules = files.write(
      'active-sms.yaml',
      rulesYaml(['sms'], ` sms: { fromAddress: "${number.phoneNumber}" } `),
    );
    const sender = check(await doctor(emulator, DEMO, { rules }), 'sender-sms');
    assert.equal(sender.status, 'pass');
    assert.match(sender.detail, /is ACTIVE and sends SMS/);
  });

  it('a number that is not the org’s fails', async () => {
    const rules = files.write(
      'foreign-sms.yaml',
      rulesYaml(['sms'], ' sms: { fromAddress: "+15005550006" } '),
    );
    const sender = check(await doctor(emulator, DEMO, { rules }), 'sender-sms');
    assert.equal(sender.status, 'fail');
    assert.match(sender.detail, /\+15005550006 is not an SMS number of this org/);
  });

  it('without a configured number, no active one at all fails; reading numbers needs sms:phoneNumber:view', async () => {
    const numbers = emulator.world!.org.smsNumbers;
    for (const n of numbers) n.status = 'PORTING';
    try {
      const rules = files.write('any-sms.yaml', rulesYaml(['sms']));
      const sender = check(await doctor(emulator, DEMO, { rules }), 'sender-sms');
      assert.equal(sender.status, 'fail');
      assert.match(sender.detail, /no active SMS number/);
      const refused = check(await doctor(emulator, NO_SMS_NUMBERS, { rules }), 'sender-sms');
      assert.equal(refused.status, 'fail');
      assert.match(refused.fix ?? '', /permission sms:phoneNumber:view/);
    } finally {
      for (const n of numbers) n.status = 'ACTIVE';
    }
  });

  it('a WhatsApp integration id that is not the org’s fails and lists the Active one', async () => {
    const org = emulator.world!.org;
    const rules = files.write(
      'whatsapp.yaml',
      rulesYaml(
        ['whatsapp', 'open'],
        ' whatsapp: { integrationId: "00000000-0000-4000-8000-000000000000" } ',
      ),
    );
    const report = await doctor(emulator, DEMO, { rules });
    const whatsapp = check(report, 'sender-whatsapp');
    assert.equal(whatsapp.status, 'fail');
    assert.match(whatsapp.fix ?? '', new RegExp(org.whatsappIntegration.id));
    assert.equal(check(report, 'sender-open').status, 'pass');
    assert.ok(!report.checks.some((c) => c.id === 'sender-sms'), 'no SMS check when no rule sends SMS');
  });
});
