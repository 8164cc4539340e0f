/**
 * Request validation against the platform's definitions: what the platform refuses, the emulator refuses (query
 * parameters outside their enum or type, missing required body fields, body enums), and what it accepts, the
 * emulator accepts (every enum value of a query parameter, every documented form of the analytics query, every
 * identifier type of the contact lookup).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Route } from '../../src/emulator/router.js';
import { definitions, operationFor } from './definitions.js';
import { type ConformanceWorld, startConformanceWorld } from './harness.js';

const day = 86_400_000;

describe('conformance: request validation', () => {
  let w: ConformanceWorld;
  let paths: Map<string, string>;
  before(async () => {
    w = await startConformanceWorld();
    const org = w.emulator.world!.org;
    const channel = (await w.call('POST', '/api/v2/notifications/channels')).body as { id: string };
    const message = w.conversations().find((c) => c.media === 'message')!;
    // A concrete path for every route with path parameters: known ids, so only the query decides the answer.
    paths = new Map([
      ['/api/v2/users/{userId}', `/api/v2/users/${org.users[0]!.id}`],
      ['/api/v2/routing/queues/{queueId}', `/api/v2/routing/queues/${org.queues[0]!.id}`],
      ['/api/v2/routing/wrapupcodes/{codeId}', `/api/v2/routing/wrapupcodes/${org.wrapupCodes[0]!.id}`],
      [
        '/api/v2/externalcontacts/contacts/{contactId}',
        `/api/v2/externalcontacts/contacts/${org.contacts[0]!.id}`,
      ],
      [
        '/api/v2/conversations/messaging/integrations/whatsapp/{integrationId}',
        `/api/v2/conversations/messaging/integrations/whatsapp/${org.whatsappIntegration.id}`,
      ],
      [
        '/api/v2/conversations/messaging/integrations/open/{integrationId}',
        `/api/v2/conversations/messaging/integrations/open/${org.openIntegration.id}`,
      ],
      [
        '/api/v2/notifications/channels/{channelId}/subscriptions',
        `/api/v2/notifications/channels/${channel.id}/subscriptions`,
      ],
      ['/api/v2/conversations/{conversationId}', `/api/v2/conversations/${message.id}`],
      ['/api/v2/conversations/messages/{conversationId}', `/api/v2/conversations/messages/${message.id}`],
      [
        '/api/v2/conversations/messages/{conversationId}/messages/bulk',
        `/api/v2/conversations/messages/${message.id}/messages/bulk`,
      ],
      [
        '/api/v2/organizations/limits/namespaces/{namespace}',
        '/api/v2/organizations/limits/namespaces/analytics',
      ],
    ]);
  });
  after(() => w?.stop());

  /** A body the route accepts, for routes whose query is under test. */
  const bodies: Record<string, () => unknown> = {
    'POST /api/v2/notifications/channels/{channelId}/subscriptions': () => [
      { id: `v2.routing.queues.${w.emulator.world!.org.queues[0]!.id}.conversations` },
    ],
    'PUT /api/v2/notifications/channels/{channelId}/subscriptions': () => [
      { id: `v2.routing.queues.${w.emulator.world!.org.queues[0]!.id}.conversations` },
    ],
    'POST /api/v2/conversations/messages/{conversationId}/messages/bulk': () => [],
    'POST /api/v2/externalcontacts/identifierlookup/contacts': () => ({
      type: 'Email',
      value: w.emulator.world!.org.contacts[0]!.email,
    }),
  };

  const queryRoutes = () =>
    w.emulator.router
      .list()
      .filter((r) => r.pattern.startsWith('/api/v2/') && r.method !== 'HEAD')
      .map((r) => ({ route: r, operation: operationFor(r.method, r.pattern) }))
      .filter((x): x is { route: Route; operation: NonNullable<typeof x.operation> } =>
        Boolean(x.operation?.query.some((q) => q.enum || q.type === 'int' || q.type === 'bool')),
      )
      .filter((x) => !x.route.pattern.includes('{') || paths.has(x.route.pattern))
      .filter((x) => x.route.method === 'GET' || bodies[`${x.route.method} ${x.route.pattern}`]);

  test('every value outside a query parameter’s enum or type is refused with a 400', async () => {
    const problems: string[] = [];
    let tried = 0;
    for (const { route, operation } of queryRoutes()) {
      const base = paths.get(route.pattern) ?? route.pattern;
      const body = bodies[`${route.method} ${route.pattern}`]?.();
      for (const parameter of operation.query) {
        const bad = parameter.enum
          ? 'NotAValue'
          : parameter.type === 'int'
            ? 'twelve'
            : parameter.type === 'bool'
              ? 'perhaps'
              : undefined;
        if (!bad) continue;
        tried++;
        const response = await w.call(
          route.method,
          `${base}?${encodeURIComponent(parameter.name)}=${bad}`,
          body,
        );
        if (response.status !== 400)
          problems.push(
            `${route.method} ${route.pattern}?${parameter.name}=${bad}: ${response.status}, expected 400`,
          );
      }
    }
    assert.ok(tried >= 20, `only ${tried} parameters tried`);
    assert.deepEqual(problems, []);
  });

  test('every value of a query parameter’s enum is accepted', async () => {
    const problems: string[] = [];
    let tried = 0;
    for (const { route, operation } of queryRoutes()) {
      const base = paths.get(route.pattern) ?? route.pattern;
      for (const parameter of operation.query) {
        for (const value of parameter.enum ?? []) {
          tried++;
          const body = bodies[`${route.method} ${route.pattern}`]?.();
          const response = await w.call(
            route.method,
            `${base}?${encodeURIComponent(parameter.name)}=${encodeURIComponent(value)}`,
            body,
          );
          if (response.status >= 400)
            problems.push(
              `${route.method} ${route.pattern}?${parameter.name}=${value}: ${response.status} ${JSON.stringify(response.body)}`,
            );
        }
      }
    }
    assert.ok(tried >= 50, `only ${tried} values tried`);
    assert.deepEqual(problems, []);
  });

  /**
   * Enum query parameters are applied where the world has what they filter or sort. Not applied, and listed here:
   * `expand` on users, queues, contacts and integrations (the world has no presence, routing status, skills or
   * identity resolution to add), `integrationPresenceSource`, and `expand=schema|permissionDetails` on available
   * topics (no schemas). Those answers are what an org without that data would give.
   */
  test('enum query parameters are applied, not only accepted', async () => {
    const org = w.emulator.world!.org;
    const entities = async (path: string) =>
      ((await w.call('GET', path)).body as { entities: Record<string, unknown>[] }).entities;
    assert.equal((await entities('/api/v2/users?state=inactive')).length, 0);
    assert.equal((await entities('/api/v2/users?state=any&pageSize=100')).length, org.users.length);
    const names = (
      await entities('/api/v2/routing/wrapupcodes?sortBy=name&sortOrder=descending&pageSize=100')
    ).map((c) => String(c.name));
    assert.deepEqual(
      names,
      [...names].sort((a, b) => b.localeCompare(a)),
    );
    const queues = (await entities('/api/v2/routing/queues?sortOrder=desc&pageSize=100')).map((q) =>
      String(q.name),
    );
    assert.deepEqual(
      queues,
      [...queues].sort((a, b) => b.localeCompare(a)),
    );
    assert.equal((await entities('/api/v2/routing/sms/phonenumbers?phoneNumberStatus=pending')).length, 0);
    assert.equal(
      (await entities('/api/v2/routing/sms/phonenumbers?phoneNumberStatus=active')).length,
      org.smsNumbers.length,
    );
    const bare = (await entities('/api/v2/notifications/availabletopics'))[0]!;
    assert.equal(bare.description, undefined);
    assert.equal(bare.requiresPermissions, undefined);
    const expanded = (
      await entities('/api/v2/notifications/availabletopics?expand=description,requiresPermissions')
    )[0]!;
    assert.equal(typeof expanded.description, 'string');
    assert.ok(Array.isArray(expanded.requiresPermissions));
  });

  test('a body without a required field, or with a value outside an enum, is refused with a 400', async () => {
    const org = w.emulator.world!.org;
    const contact = org.contacts.find((c) => c.openMessagingId)!;
    const valid: Record<string, { path: string; body: Record<string, unknown> }> = {
      SendAgentlessOutboundMessageRequest: {
        path: '/api/v2/conversations/messages/agentless',
        body: {
          fromAddress: org.openIntegration.id,
          toAddress: contact.openMessagingId,
          toAddressMessengerType: 'open',
          textBody: 'hello',
        },
      },
      ContactIdentifier: {
        path: '/api/v2/externalcontacts/identifierlookup/contacts',
        body: { type: 'Email', value: contact.email },
      },
      ConversationQuery: {
        path: '/api/v2/analytics/conversations/details/query',
        body: {
          interval: `${new Date(Date.now() - day).toISOString()}/${new Date().toISOString()}`,
          order: 'asc',
          orderBy: 'conversationStart',
        },
      },
    };
    const problems: string[] = [];
    for (const [model, { path, body }] of Object.entries(valid)) {
      const accepted = await w.call('POST', path, body);
      if (accepted.status >= 400)
        problems.push(`${model}: the valid body was refused: ${JSON.stringify(accepted.body)}`);
      const definition = definitions.models[model]!;
      for (const field of definition.required) {
        const { [field]: _dropped, ...without } = body;
        const response = await w.call('POST', path, without);
        if (response.status !== 400)
          problems.push(`${model} without ${field}: ${response.status}, expected 400`);
      }
      for (const [field, property] of Object.entries(definition.properties)) {
        if (!property.enum || !(field in body)) continue;
        const response = await w.call('POST', path, { ...body, [field]: 'NotAValue' });
        if (response.status !== 400)
          problems.push(`${model}.${field}=NotAValue: ${response.status}, expected 400`);
      }
    }
    const noBody = await w.call('POST', '/api/v2/analytics/conversations/details/query');
    if (noBody.status !== 400) problems.push(`a query without a body: ${noBody.status}, expected 400`);
    assert.deepEqual(problems, []);
  });

  test('the analytics query accepts every form its definition allows', async () => {
    const now = w.emulator.world!.now();
    const iso = (t: number) => new Date(t).toISOString();
    const interval = `${iso(now - 2 * day)}/${iso(now + day)}`;
    const query = (body: Record<string, unknown>) =>
      w.call('POST', '/api/v2/analytics/conversations/details/query', { interval, ...body });
    const problems: string[] = [];
    const expectOk = async (what: string, body: Record<string, unknown>) => {
      const response = await query(body);
      if (response.status !== 200)
        problems.push(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body as { conversations?: unknown[]; totalHits?: number };
    };
    const conversationQuery = definitions.models.ConversationQuery!;
    for (const order of conversationQuery.properties.order!.enum!)
      await expectOk(`order ${order}`, { order });
    for (const orderBy of conversationQuery.properties.orderBy!.enum!)
      await expectOk(`orderBy ${orderBy}`, { orderBy });
    // The documented form without a zone ("YYYY-MM-DDThh:mm:ss/YYYY-MM-DDThh:mm:ss") is read as UTC.
    const zoneless = `${iso(now - 2 * day).slice(0, 19)}/${iso(now + day).slice(0, 19)}`;
    const plain = await expectOk('zoned interval', {});
    const withoutZone = await w.call('POST', '/api/v2/analytics/conversations/details/query', {
      interval: zoneless,
    });
    if (withoutZone.status !== 200) problems.push(`interval without a zone: ${withoutZone.status}`);
    else assert.equal((withoutZone.body as { totalHits: number }).totalHits, plain.totalHits);

    const segmentPredicate = definitions.models.SegmentDetailQueryPredicate!;
    for (const dimension of segmentPredicate.properties.dimension!.enum!) {
      await expectOk(`segment dimension ${dimension}`, {
        segmentFilters: [{ type: 'or', predicates: [{ dimension, operator: 'exists' }] }],
      });
    }
    const conversationPredicate = definitions.models.ConversationDetailQueryPredicate!;
    for (const dimension of conversationPredicate.properties.dimension!.enum!) {
      await expectOk(`conversation dimension ${dimension}`, {
        conversationFilters: [
          { type: 'and', predicates: [{ type: 'dimension', dimension, operator: 'notExists' }] },
        ],
      });
    }
    for (const operator of segmentPredicate.properties.operator!.enum!) {
      await expectOk(`operator ${operator}`, {
        segmentFilters: [
          {
            type: 'and',
            predicates: [
              { dimension: 'mediaType', operator, ...(operator === 'matches' ? { value: 'voice' } : {}) },
            ],
          },
        ],
      });
    }
    await expectOk('property predicate', {
      segmentFilters: [
        {
          type: 'and',
          predicates: [{ type: 'property', propertyType: 'string', property: 'language', value: 'en' }],
        },
      ],
    });
    await expectOk('metric predicate', {
      segmentFilters: [
        { type: 'and', predicates: [{ type: 'metric', metric: 'tSegmentDuration', range: { gte: 0 } }] },
      ],
    });
    await expectOk('conversation metric predicate', {
      conversationFilters: [
        { type: 'and', predicates: [{ type: 'metric', metric: 'tConversationDuration', range: { gt: 0 } }] },
      ],
    });
    await expectOk('clauses only', {
      segmentFilters: [
        {
          type: 'or',
          clauses: [
            { type: 'and', predicates: [{ dimension: 'mediaType', value: 'voice' }] },
            { type: 'and', predicates: [{ dimension: 'mediaType', value: 'message' }] },
          ],
        },
      ],
    });
    assert.deepEqual(problems, []);
  });

  test('the contact lookup accepts every identifier type its definition lists', async () => {
    const problems: string[] = [];
    const contact = w.emulator.world!.org.contacts.find((c) => c.whatsAppNumber && c.openMessagingId)!;
    const known: Record<string, string> = {
      Phone: contact.phone,
      Email: contact.email,
      SocialWhatsapp: contact.whatsAppNumber!.replace(/^\+/, ''),
    };
    for (const type of definitions.models.ContactIdentifier!.properties.type!.enum!) {
      const response = await w.call('POST', '/api/v2/externalcontacts/identifierlookup/contacts', {
        type,
        value: known[type] ?? 'no-such-identifier',
      });
      const expected = known[type] ? 200 : 404;
      if (response.status !== expected) problems.push(`${type}: ${response.status}, expected ${expected}`);
    }
    assert.deepEqual(problems, []);
  });
});
