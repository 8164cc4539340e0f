/**
 * The sender of each agentless channel, read from the org's listings as the platform writes them: SMS numbers carry
 * `phoneNumberStatus` in upper case (`ACTIVE`), integrations `status` capitalised (`Active`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SenderDirectory } from '../../../src/proactive/delivery/senders.js';
import type { PlatformRequester } from '../../../src/proactive/platform-port.js';
import { definitions } from '../../conformance/definitions.js';
import { type Harness, startHarness } from '../helpers.js';

/**
 * A listing exactly as the platform sends it (the SmsPhoneNumber model: upper-case status, required `version`).
 * Only the transport is stood in for: the emulator serves the same shape, tested below and in test/conformance.
 */
function listing(entities: Record<string, unknown>[]): PlatformRequester {
  return {
    request: async <T>() =>
      ({
        status: 200,
        headers: {},
        body: { entities, pageSize: 25, pageNumber: 1, total: entities.length, pageCount: 1 },
      }) as T,
  } as unknown as PlatformRequester;
}

const smsNumber = (phoneNumber: string, phoneNumberStatus: string) => ({
  id: `id-${phoneNumber}`,
  phoneNumber,
  phoneNumberType: 'tollfree',
  phoneNumberStatus,
  capabilities: ['sms'],
  supportsSms: true,
  version: 1,
});

describe('SenderDirectory: SMS numbers as the platform lists them', () => {
  test('an ACTIVE number is used (the model spells the status in upper case)', async () => {
    assert.ok(definitions.models.SmsPhoneNumber!.properties.phoneNumberStatus!.enum!.includes('ACTIVE'));
    const senders = new SenderDirectory(listing([smsNumber('+18885550190', 'ACTIVE')]), {});
    assert.deepEqual(await senders.sender('sms'), { ok: true, fromAddress: '+18885550190' });
  });

  test('numbers in any other status are passed over', async () => {
    const statuses = definitions.models.SmsPhoneNumber!.properties.phoneNumberStatus!.enum!.filter(
      (s) => s !== 'ACTIVE',
    );
    const senders = new SenderDirectory(
      listing([
        ...statuses.map((s, i) => smsNumber(`+1888555020${i}`, s)),
        smsNumber('+18885550299', 'ACTIVE'),
      ]),
      {},
    );
    assert.deepEqual(await senders.sender('sms'), { ok: true, fromAddress: '+18885550299' });
  });
});

describe('SenderDirectory against the emulator', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ historyDays: 0 });
  });
  after(() => h.stop());

  test('discovers the org’s active SMS number, WhatsApp and Open Messaging integrations', async () => {
    const org = h.emulator.world!.org;
    const senders = new SenderDirectory(h.client, {});
    assert.deepEqual(await senders.sender('sms'), { ok: true, fromAddress: org.smsNumbers[0]!.phoneNumber });
    assert.deepEqual(await senders.sender('whatsapp'), { ok: true, fromAddress: org.whatsappIntegration.id });
    assert.deepEqual(await senders.sender('open'), { ok: true, fromAddress: org.openIntegration.id });
  });

  test('a configured SMS number that is not active is refused with the reason', async () => {
    const number = h.emulator.world!.org.smsNumbers[1]!;
    number.status = 'PENDING';
    try {
      const senders = new SenderDirectory(h.client, { sms: { fromAddress: number.phoneNumber } });
      const result = await senders.sender('sms');
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.reason : '', /is not an SMS number provisioned/);
    } finally {
      number.status = 'ACTIVE';
    }
  });
});
