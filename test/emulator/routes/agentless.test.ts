import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import { assertPlatformError, call, smallWorld } from './call.js';

const { world, clock } = smallWorld({ historyDays: 0, timeScale: 60 });
const router = new Router();
registerWorldRoutes(router, world);
const { org } = world;
const smsFrom = org.smsNumbers[0]!.phoneNumber;
const send = (body: unknown, caller = {}) =>
  call(router, 'POST', '/api/v2/conversations/messages/agentless', { body, caller });

describe('agentless outbound: channels', () => {
  it('refuses web messaging and unknown or missing messenger types with a clear message', async () => {
    const web = await send({
      fromAddress: smsFrom,
      toAddress: '+13175550123',
      toAddressMessengerType: 'webmessaging',
      textBody: 'hi',
    });
    // The platform's own enum refuses it, naming the values it allows.
    assertPlatformError(web, 400, 'bad.request');
    assert.match(
      web.json.message,
      /Value \[webmessaging\] is not valid.*Allowable values are: sms, whatsapp, open/,
    );
    assertPlatformError(
      await send({
        fromAddress: smsFrom,
        toAddress: 'a@b.c',
        toAddressMessengerType: 'email',
        textBody: 'hi',
      }),
      400,
      'bad.request',
    );
    const missing = await send({ fromAddress: smsFrom, toAddress: '+13175550123', textBody: 'hi' });
    assertPlatformError(missing, 400, 'bad.request');
    assert.match(missing.json.message, /toAddressMessengerType is required/);
    assertPlatformError(await send([1, 2]), 400, 'bad.request');
    assert.deepEqual(web.route.permissions, ['conversation:message:create']);
  });

  it('needs exactly one of textBody and messagingTemplate, and a sender', async () => {
    const base = { fromAddress: smsFrom, toAddress: '+13175550123', toAddressMessengerType: 'sms' };
    assertPlatformError(await send(base), 400, 'bad.request');
    assertPlatformError(
      await send({ ...base, textBody: 'x', messagingTemplate: { responseId: 'r' } }),
      400,
      'bad.request',
    );
    assertPlatformError(await send({ ...base, textBody: '   ' }), 400, 'invalid.value');
    assertPlatformError(await send({ ...base, fromAddress: undefined, textBody: 'x' }), 400, 'bad.request');
    assertPlatformError(await send({ ...base, toAddress: undefined, textBody: 'x' }), 400, 'bad.request');
    assertPlatformError(
      await send({ ...base, textBody: 'x', useExistingActiveConversation: 'yes' }),
      400,
      'invalid.value',
    );
  });
});

describe('agentless outbound: SMS', () => {
  const base = { fromAddress: smsFrom, toAddress: '+13175550123', toAddressMessengerType: 'sms' };

  it('sends from a provisioned number to an E.164 number, up to 765 characters', async () => {
    const res = await send({ ...base, textBody: 'a'.repeat(765) }, { clientId: 'engine' });
    assert.equal(res.status, 200);
    assert.equal(res.json.messengerType, 'sms');
    assert.equal(res.json.fromAddress, smsFrom);
    assert.equal(res.json.toAddress, '+13175550123');
    assert.match(res.json.id, /^[0-9a-f-]{36}$/);
    assert.match(res.json.conversationId, /^[0-9a-f-]{36}$/);
    assert.equal(res.json.timestamp, new Date(world.now()).toISOString());
    assert.equal(res.json.textBody.length, 765);
    const record = world.outbound().find((r) => r.id === res.json.id);
    assert.equal(record?.clientId, 'engine');
    assert.equal(record?.reusedConversation, false);
  });

  it('refuses an unprovisioned sender, a non-E.164 address, templates and 766 characters', async () => {
    const unprovisioned = await send({ ...base, fromAddress: '+15555550100', textBody: 'x' });
    assertPlatformError(unprovisioned, 400, 'invalid.value');
    assert.match(unprovisioned.json.message, /provisioned/);
    assertPlatformError(
      await send({ ...base, toAddress: '3175550123', textBody: 'x' }),
      400,
      'invalid.value',
    );
    assertPlatformError(
      await send({ ...base, toAddress: '+1 317 555 0123', textBody: 'x' }),
      400,
      'invalid.value',
    );
    assertPlatformError(
      await send({ ...base, messagingTemplate: { responseId: 'r1' } }),
      400,
      'invalid.value',
    );
    const long = await send({ ...base, textBody: 'a'.repeat(766) });
    assertPlatformError(long, 400, 'invalid.value');
    assert.match(long.json.message, /765/);
  });

  it('reuses the active conversation only when asked', async () => {
    const to = { ...base, toAddress: '+13175550177' };
    const first = await send({ ...to, textBody: 'one', useExistingActiveConversation: true });
    const second = await send({ ...to, textBody: 'two', useExistingActiveConversation: true });
    const third = await send({ ...to, textBody: 'three' });
    assert.equal(second.json.conversationId, first.json.conversationId);
    assert.notEqual(third.json.conversationId, first.json.conversationId);
    assert.equal(world.outbound().find((r) => r.id === second.json.id)?.reusedConversation, true);
  });

  it('links the conversation to the contact the address belongs to', async () => {
    const contact = org.contacts[0]!;
    const res = await send({
      fromAddress: smsFrom,
      toAddress: contact.phone,
      toAddressMessengerType: 'sms',
      textBody: 'hi',
    });
    assert.equal(res.status, 200);
    assert.equal(world.outbound().at(-1)?.externalContactId, contact.id);
    const conversation = world.conversations.get(res.json.conversationId)!;
    assert.equal(
      conversation.participants.find((p) => p.purpose === 'customer')?.externalContactId,
      contact.id,
    );
  });

  it('refuses a send without toAddress: the platform has no other field naming the recipient', async () => {
    const contact = org.contacts[0]!;
    const res = await send({
      fromAddress: smsFrom,
      externalContactId: contact.id,
      toAddressMessengerType: 'sms',
      textBody: 'hi',
    });
    assertPlatformError(res, 400, 'bad.request');
    assert.match(res.json.message, /toAddress is required/);
  });
});

describe('agentless outbound: WhatsApp', () => {
  const integration = org.whatsappIntegration.id;
  const contact = org.contacts.find((c) => c.whatsAppNumber)!;
  const digits = contact.whatsAppNumber!.slice(1);
  const base = { fromAddress: integration, toAddress: digits, toAddressMessengerType: 'whatsapp' };

  it('needs the integration id as sender and digits without + as address', async () => {
    const wrongFrom = await send({
      ...base,
      fromAddress: org.whatsappIntegration.phoneNumber,
      messagingTemplate: { responseId: 'r' },
    });
    assertPlatformError(wrongFrom, 400, 'invalid.value');
    assert.match(wrongFrom.json.message, /integration/);
    assertPlatformError(
      await send({ ...base, toAddress: contact.whatsAppNumber, messagingTemplate: { responseId: 'r' } }),
      400,
      'invalid.value',
    );
  });

  it('needs an approved template outside the 24-hour window', async () => {
    const text = await send({ ...base, textBody: 'Hello again' });
    assertPlatformError(text, 400, 'invalid.value');
    assert.match(text.json.message, /24 hours.*messagingTemplate/);
    assertPlatformError(await send({ ...base, messagingTemplate: {} }), 400, 'invalid.value');
    assertPlatformError(
      await send({ ...base, messagingTemplate: { responseId: 'r', bodyParameters: [{ id: 'name' }] } }),
      400,
      'invalid.value',
    );
    const template = {
      responseId: 'welcome-back',
      bodyParameters: [{ id: 'name', value: contact.firstName }],
    };
    const res = await send({ ...base, messagingTemplate: template });
    assert.equal(res.status, 200);
    assert.deepEqual(world.outbound().at(-1)?.messagingTemplate, template);
  });

  it('accepts free text within 24 hours of the customer writing, up to 2,000 characters', async () => {
    world.startScriptedConversation({ kind: 'whatsapp', externalContactId: contact.id, transfer: 'none' });
    clock.advance(10_000);
    const res = await send({ ...base, textBody: 'b'.repeat(2000) });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assertPlatformError(await send({ ...base, textBody: 'b'.repeat(2001) }), 400, 'invalid.value');
    clock.advance((25 * 3_600_000) / 60);
    // 25 emulated hours are 25 minutes of clock here; the window is measured on the clock, so still open.
    assert.equal((await send({ ...base, textBody: 'still open' })).status, 200);
    clock.advance(25 * 3_600_000);
    assertPlatformError(await send({ ...base, textBody: 'closed now' }), 400, 'invalid.value');
  });
});

describe('agentless outbound: Open Messaging', () => {
  const base = {
    fromAddress: org.openIntegration.id,
    toAddress: 'visitor-42',
    toAddressMessengerType: 'open',
  };

  it('sends text only from the Open Messaging integration, up to 2,000 characters', async () => {
    const res = await send({ ...base, textBody: 'c'.repeat(2000) });
    assert.equal(res.status, 200);
    assert.equal(res.json.messengerType, 'open');
    assertPlatformError(await send({ ...base, textBody: 'c'.repeat(2001) }), 400, 'invalid.value');
    assertPlatformError(
      await send({ ...base, fromAddress: org.whatsappIntegration.id, textBody: 'x' }),
      400,
      'invalid.value',
    );
    assertPlatformError(
      await send({ ...base, messagingTemplate: { responseId: 'r' } }),
      400,
      'invalid.value',
    );
  });

  it('records every accepted send once and none of the refused ones', () => {
    const sends = world.outbound();
    assert.equal(new Set(sends.map((s) => s.id)).size, sends.length);
    assert.ok(sends.every((s) => ['sms', 'whatsapp', 'open'].includes(s.messengerType)));
    assert.ok(sends.every((s) => (s.textBody?.length ?? 0) <= (s.messengerType === 'sms' ? 765 : 2000)));
  });

  it('creates message conversations that analytics finds', async () => {
    const res = await send({ ...base, toAddress: 'visitor-analytics', textBody: 'Your order has shipped' });
    clock.advance(world.settings.analyticsLagMs + world.settings.analyticsLagJitterMs); // analytics catches up
    const query = await call(router, 'POST', '/api/v2/analytics/conversations/details/query', {
      body: {
        interval: `${new Date(world.now() - 3_600_000).toISOString()}/${new Date(world.now() + 1000).toISOString()}`,
        segmentFilters: [
          {
            type: 'and',
            predicates: [
              { dimension: 'messageType', value: 'open' },
              { dimension: 'direction', value: 'outbound' },
              { dimension: 'addressTo', value: 'visitor-analytics' },
            ],
          },
        ],
      },
    });
    assert.equal(query.json.totalHits, 1);
    assert.equal(query.json.conversations[0].conversationId, res.json.conversationId);
    assert.equal(query.json.conversations[0].originatingDirection, 'outbound');
  });
});
