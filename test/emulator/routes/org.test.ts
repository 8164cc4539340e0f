import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import { assertPlatformError, call, smallWorld } from './call.js';

const { world } = smallWorld();
const router = new Router();
registerWorldRoutes(router, world);
const { org } = world;

describe('org routes: users', () => {
  it('lists users in pages with the listing envelope', async () => {
    const first = await call(router, 'GET', '/api/v2/users?pageSize=3&pageNumber=1');
    assert.equal(first.status, 200);
    assert.equal(first.json.total, org.users.length);
    assert.equal(first.json.pageSize, 3);
    assert.equal(first.json.pageNumber, 1);
    assert.equal(first.json.pageCount, Math.ceil(org.users.length / 3));
    assert.equal(first.json.entities.length, 3);
    assert.ok(first.json.nextUri.includes('pageNumber=2'));
    const last = await call(router, 'GET', `/api/v2/users?pageSize=3&pageNumber=${first.json.pageCount}`);
    assert.ok(last.json.entities.length >= 1 && !('nextUri' in last.json));
    const user = first.json.entities[0];
    assert.equal(user.id, org.users[0]!.id);
    assert.equal(user.name, org.users[0]!.name);
    assert.match(user.email, /@example\.com$/);
    assert.equal(user.state, 'active');
    assert.deepEqual(first.route.permissions, []);
  });

  it('filters users by id, gets one, and answers 404 and 400 in the platform shape', async () => {
    const ids = [org.users[1]!.id, org.users[2]!.id];
    const filtered = await call(router, 'GET', `/api/v2/users?id=${ids.join(',')}`);
    assert.deepEqual(
      filtered.json.entities.map((u: { id: string }) => u.id),
      ids,
    );
    const one = await call(router, 'GET', `/api/v2/users/${ids[0]}`);
    assert.equal(one.json.id, ids[0]);
    assertPlatformError(
      await call(router, 'GET', '/api/v2/users/00000000-0000-4000-8000-000000000000'),
      404,
      'not.found',
    );
    assertPlatformError(await call(router, 'GET', '/api/v2/users?pageSize=0'), 400, 'invalid.value');
    assertPlatformError(await call(router, 'GET', '/api/v2/users?pageNumber=x'), 400, 'bad.request');
  });
});

describe('org routes: queues and wrap-up codes', () => {
  it('lists queues with a name filter (exact or with * wildcards, any case) and needs routing:queue:view', async () => {
    const all = await call(router, 'GET', '/api/v2/routing/queues');
    assert.equal(all.json.total, org.queues.length);
    assert.deepEqual(all.route.permissions, ['routing:queue:view']);
    const name = org.queues[1]!.name;
    const exact = await call(router, 'GET', '/api/v2/routing/queues', {
      query: { name: name.toUpperCase() },
    });
    assert.deepEqual(
      exact.json.entities.map((q: { name: string }) => q.name),
      [name],
    );
    const wildcard = await call(router, 'GET', '/api/v2/routing/queues', {
      query: { name: `${name.slice(0, 3)}*` },
    });
    assert.ok(wildcard.json.entities.some((q: { name: string }) => q.name === name));
    const none = await call(router, 'GET', '/api/v2/routing/queues', { query: { name: 'No such queue' } });
    assert.equal(none.json.total, 0);
    assert.deepEqual(none.json.entities, []);
    const queue = await call(router, 'GET', `/api/v2/routing/queues/${org.queues[0]!.id}`);
    assert.equal(queue.json.memberCount, org.queues[0]!.memberIds.length);
    assertPlatformError(await call(router, 'GET', '/api/v2/routing/queues/nope'), 404, 'not.found');
  });

  it('lists wrap-up codes and gets one', async () => {
    const codes = await call(router, 'GET', '/api/v2/routing/wrapupcodes?pageSize=100');
    assert.equal(codes.json.total, org.wrapupCodes.length);
    assert.deepEqual(codes.route.permissions, ['routing:wrapupCode:view']);
    assert.ok(codes.json.entities.every((c: { id: string; name: string }) => c.id && c.name));
    const one = await call(router, 'GET', `/api/v2/routing/wrapupcodes/${org.wrapupCodes[0]!.id}`);
    assert.equal(one.json.name, org.wrapupCodes[0]!.name);
    assertPlatformError(await call(router, 'GET', '/api/v2/routing/wrapupcodes/nope'), 404, 'not.found');
  });
});

describe('org routes: external contacts', () => {
  const withBoth = org.contacts.find((c) => c.whatsAppNumber && c.openMessagingId) ?? org.contacts[0]!;

  it('returns a contact with phone, WhatsApp id, Open Messaging id, consent and time zone', async () => {
    const res = await call(router, 'GET', `/api/v2/externalcontacts/contacts/${withBoth.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.route.permissions, ['relate:contact:view', 'externalContacts:contact:view']);
    assert.equal(res.json.firstName, withBoth.firstName);
    assert.equal(res.json.cellPhone.e164, withBoth.phone);
    assert.equal(res.json.customFields.marketingOptOut_checkbox, withBoth.optedOut);
    assert.equal(res.json.customFields.timeZone_text, withBoth.timeZone);
    if (withBoth.whatsAppNumber) assert.equal(res.json.whatsAppId.phoneNumber.e164, withBoth.whatsAppNumber);
    if (withBoth.openMessagingId) assert.equal(res.json.externalIds[0].value, withBoth.openMessagingId);
    const bare = org.contacts.find((c) => !c.whatsAppNumber);
    if (bare) {
      const plain = await call(router, 'GET', `/api/v2/externalcontacts/contacts/${bare.id}`);
      assert.ok(!('whatsAppId' in plain.json), 'absent, not null');
    }
    assertPlatformError(
      await call(router, 'GET', '/api/v2/externalcontacts/contacts/unknown'),
      404,
      'not.found',
    );
  });

  it('finds contacts by identifier and refuses bad lookups', async () => {
    const lookup = (body: unknown) =>
      call(router, 'POST', '/api/v2/externalcontacts/identifierlookup/contacts', { body });
    assert.equal((await lookup({ type: 'Phone', value: withBoth.phone })).json.id, withBoth.id);
    const spaced = `${withBoth.phone.slice(0, 3)} ${withBoth.phone.slice(3)}`;
    assert.equal((await lookup({ type: 'Phone', value: spaced })).json.id, withBoth.id);
    assert.equal((await lookup({ type: 'Email', value: withBoth.email.toUpperCase() })).json.id, withBoth.id);
    if (withBoth.whatsAppNumber) {
      const digits = withBoth.whatsAppNumber.slice(1);
      assert.equal((await lookup({ type: 'SocialWhatsapp', value: digits })).json.id, withBoth.id);
    }
    if (withBoth.openMessagingId)
      assert.equal(
        (await lookup({ type: 'ExternalId', value: withBoth.openMessagingId })).json.id,
        withBoth.id,
      );
    assertPlatformError(await lookup({ type: 'Phone', value: '+10000000000' }), 404, 'not.found');
    assertPlatformError(await lookup({ type: 'Phone', value: withBoth.phone.slice(1) }), 404, 'not.found');
    assertPlatformError(await lookup({ type: 'Fax', value: '1' }), 400, 'bad.request');
    assertPlatformError(await lookup({ type: 'Email' }), 400, 'bad.request');
    assertPlatformError(await lookup({ type: 'Cookie', value: 'abc' }), 404, 'not.found');
    assertPlatformError(await lookup('text'), 400, 'bad.request');
  });
});

describe('org routes: messaging addresses and limits', () => {
  it('lists provisioned SMS numbers (with a contains filter) and the messaging integrations', async () => {
    const numbers = await call(router, 'GET', '/api/v2/routing/sms/phonenumbers');
    assert.deepEqual(numbers.route.permissions, ['sms:phoneNumber:view']);
    assert.deepEqual(
      numbers.json.entities.map((n: { phoneNumber: string }) => n.phoneNumber),
      org.smsNumbers.map((n) => n.phoneNumber),
    );
    const filtered = await call(router, 'GET', '/api/v2/routing/sms/phonenumbers', {
      query: { phoneNumber: org.smsNumbers[1]!.phoneNumber.slice(-4) },
    });
    assert.equal(filtered.json.total, 1);
    const whatsapp = await call(router, 'GET', '/api/v2/conversations/messaging/integrations/whatsapp');
    assert.deepEqual(whatsapp.route.permissions, ['messaging:integration:view']);
    assert.equal(whatsapp.json.entities[0].id, org.whatsappIntegration.id);
    assert.equal(whatsapp.json.entities[0].phoneNumber, org.whatsappIntegration.phoneNumber);
    const open = await call(router, 'GET', '/api/v2/conversations/messaging/integrations/open');
    assert.equal(open.json.entities[0].id, org.openIntegration.id);
    assert.ok(!('outboundNotificationWebhookSignatureSecretToken' in open.json.entities[0]));
    const byId = await call(
      router,
      'GET',
      `/api/v2/conversations/messaging/integrations/open/${org.openIntegration.id}`,
    );
    assert.equal(byId.json.name, org.openIntegration.name);
    assertPlatformError(
      await call(router, 'GET', '/api/v2/conversations/messaging/integrations/whatsapp/nope'),
      404,
      'not.found',
    );
  });

  it('reads org limits per namespace', async () => {
    const analytics = await call(router, 'GET', '/api/v2/organizations/limits/namespaces/analytics');
    assert.ok(
      analytics.json.entities.some(
        (e: { key: string; value: number }) =>
          e.key.includes('page.size') && e.value === world.settings.analyticsMaxPageSize,
      ),
    );
    assertPlatformError(
      await call(router, 'GET', '/api/v2/organizations/limits/namespaces/nope'),
      404,
      'not.found',
    );
  });
});
