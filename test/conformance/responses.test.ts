/**
 * Conformance of every REST route the emulator serves: the route exists in the platform's definitions, and what it
 * answers matches the operation's response model (fields, types, formats, required fields, enums spelled exactly).
 * A route added to the emulator without a definition, or without a probe here, fails this file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Route } from '../../src/emulator/router.js';
import { waitFor } from '../helpers/wait-for.js';
import { conformance } from './check.js';
import { definitions, operationFor } from './definitions.js';
import { type ConformanceWorld, scriptEveryShape, startConformanceWorld } from './harness.js';

/** Routes the platform's definitions do not describe, each with the reason it is served anyway. */
const NOT_IN_DEFINITIONS: Record<string, string> = {
  // The token endpoint lives on login.<domain>, outside the REST API's definition; GENESYS.md §1 gives its shape and
  // oauth.test.ts checks it.
  'POST /oauth/token': 'login host, not the REST API',
};

/**
 * Required fields the emulator leaves out, each with its reason. Everything else a model requires must be there.
 */
const MAY_OMIT = [
  // The webhook's signing secret is write-only in practice: the emulator never hands a secret back to a reader, and
  // the client never reads it.
  'OpenIntegration.outboundNotificationWebhookSignatureSecretToken',
];

interface ProbeCall {
  path: string;
  body?: unknown;
  /** Use the user-context token (a call only a participant may make). */
  asAgent?: boolean;
  /** The status the call must get; 200 by default. */
  status?: number;
}

type Probe = (w: ConformanceWorld) => ProbeCall[] | Promise<ProbeCall[]>;

const day = 86_400_000;
const interval = (w: ConformanceWorld) => {
  const now = w.emulator.world!.now();
  return `${new Date(now - 3 * day).toISOString()}/${new Date(now + day).toISOString()}`;
};

/** How each route is exercised: realistic calls whose answers are checked against the response model. */
const PROBES: Record<string, Probe> = {
  'GET /api/v2/tokens/me': () => [{ path: '/api/v2/tokens/me' }],
  'DELETE /api/v2/tokens/me': () => [], // revokes the suite's token; its 204 has no body (checked in errors.test.ts)
  'GET /api/v2/users': () => [{ path: '/api/v2/users?pageSize=100' }],
  'GET /api/v2/users/{userId}': (w) =>
    w.emulator.world!.org.users.map((u) => ({ path: `/api/v2/users/${u.id}` })),
  'GET /api/v2/routing/queues': () => [{ path: '/api/v2/routing/queues?pageSize=100' }],
  'GET /api/v2/authorization/divisions': () => [{ path: '/api/v2/authorization/divisions?pageSize=100' }],
  'GET /api/v2/routing/queues/{queueId}': (w) =>
    w.emulator.world!.org.queues.map((q) => ({ path: `/api/v2/routing/queues/${q.id}` })),
  'GET /api/v2/routing/wrapupcodes': () => [{ path: '/api/v2/routing/wrapupcodes?pageSize=100' }],
  'GET /api/v2/routing/wrapupcodes/{codeId}': (w) =>
    w.emulator.world!.org.wrapupCodes.map((c) => ({ path: `/api/v2/routing/wrapupcodes/${c.id}` })),
  'GET /api/v2/routing/sms/phonenumbers': () => [{ path: '/api/v2/routing/sms/phonenumbers' }],
  'GET /api/v2/organizations/limits/namespaces/{namespace}': () => [
    { path: '/api/v2/organizations/limits/namespaces/analytics' },
    { path: '/api/v2/organizations/limits/namespaces/messaging' },
  ],
  'GET /api/v2/externalcontacts/contacts/{contactId}': (w) =>
    w.emulator.world!.org.contacts.map((c) => ({ path: `/api/v2/externalcontacts/contacts/${c.id}` })),
  'POST /api/v2/externalcontacts/identifierlookup/contacts': (w) => {
    const contact = w.emulator.world!.org.contacts.find((c) => c.whatsAppNumber)!;
    return [
      {
        path: '/api/v2/externalcontacts/identifierlookup/contacts',
        body: { type: 'Phone', value: contact.phone },
      },
      {
        path: '/api/v2/externalcontacts/identifierlookup/contacts',
        body: { type: 'Email', value: contact.email },
      },
    ];
  },
  'GET /api/v2/conversations/messaging/integrations/whatsapp': () => [
    { path: '/api/v2/conversations/messaging/integrations/whatsapp' },
  ],
  'GET /api/v2/conversations/messaging/integrations/whatsapp/{integrationId}': (w) => [
    {
      path: `/api/v2/conversations/messaging/integrations/whatsapp/${w.emulator.world!.org.whatsappIntegration.id}`,
    },
  ],
  'GET /api/v2/conversations/messaging/integrations/open': () => [
    { path: '/api/v2/conversations/messaging/integrations/open' },
  ],
  'GET /api/v2/conversations/messaging/integrations/open/{integrationId}': (w) => [
    { path: `/api/v2/conversations/messaging/integrations/open/${w.emulator.world!.org.openIntegration.id}` },
  ],
  'POST /api/v2/notifications/channels': () => [{ path: '/api/v2/notifications/channels' }],
  'GET /api/v2/notifications/channels': () => [
    { path: '/api/v2/notifications/channels' },
    { path: '/api/v2/notifications/channels?includechannels=oauthclient' },
  ],
  'HEAD /api/v2/notifications/channels/{channelId}': () => [], // no body; errors.test.ts checks its statuses
  'GET /api/v2/notifications/channels/{channelId}/subscriptions': async (w) => {
    const channel = await newChannel(w);
    return [{ path: `/api/v2/notifications/channels/${channel}/subscriptions` }];
  },
  'POST /api/v2/notifications/channels/{channelId}/subscriptions': async (w) => {
    const channel = await newChannel(w);
    const queue = w.emulator.world!.org.queues[0]!.id;
    return [
      {
        path: `/api/v2/notifications/channels/${channel}/subscriptions`,
        body: [{ id: `v2.routing.queues.${queue}.conversations` }],
      },
      {
        path: `/api/v2/notifications/channels/${channel}/subscriptions?ignoreErrors=true`,
        body: [
          { id: `v2.routing.queues.${queue}.conversations.calls` },
          { id: 'v2.users.nobody.unknowntopic' },
        ],
      },
    ];
  },
  'PUT /api/v2/notifications/channels/{channelId}/subscriptions': async (w) => {
    const channel = await newChannel(w);
    const user = w.emulator.world!.org.users[0]!.id;
    return [
      {
        path: `/api/v2/notifications/channels/${channel}/subscriptions`,
        body: [{ id: `v2.users.${user}.conversations` }],
      },
    ];
  },
  'DELETE /api/v2/notifications/channels/{channelId}/subscriptions': () => [], // 204, no body
  'GET /api/v2/notifications/availabletopics': () => [
    { path: '/api/v2/notifications/availabletopics' },
    { path: '/api/v2/notifications/availabletopics?expand=requiresPermissions,transports,schema' },
  ],
  'GET /api/v2/conversations/{conversationId}': (w) =>
    w.conversations().map((c) => ({ path: `/api/v2/conversations/${c.id}` })),
  'GET /api/v2/conversations/messages/{conversationId}': (w) =>
    w
      .conversations()
      .filter((c) => c.media === 'message')
      .map((c) => ({ path: `/api/v2/conversations/messages/${c.id}` })),
  'POST /api/v2/conversations/messages/{conversationId}/messages/bulk': (w) =>
    w
      .conversations()
      .filter((c) => c.media === 'message')
      .slice(0, 20)
      .map((c) => ({
        path: `/api/v2/conversations/messages/${c.id}/messages/bulk`,
        body: c.participants.flatMap((p) => (p.comm.messages ?? []).map((m) => m.messageId)),
      })),
  'POST /api/v2/conversations/messages/{conversationId}/communications/{communicationId}/messages': async (
    w,
  ) => {
    // A live web messaging conversation the agent has answered: only a participant may write into it.
    const reply = await fetch(`${w.emulator.url}/__emulator/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'webmessaging',
        userId: w.agentId,
        durationMs: 86_400_000,
        transfer: 'none',
      }),
    });
    const { conversationId } = (await reply.json()) as { conversationId: string };
    const agentLeg = await waitFor(
      () =>
        w.emulator
          .world!.conversations.get(conversationId)
          ?.participants.find((p) => p.userId === w.agentId && p.comm.state === 'connected'),
      'the agent to answer',
      10_000,
    );
    return [
      {
        path: `/api/v2/conversations/messages/${conversationId}/communications/${agentLeg.comm.id}/messages`,
        body: { textBody: 'Hello again, how can I help?' },
        asAgent: true,
      },
    ];
  },
  'POST /api/v2/conversations/messages/agentless': (w) => {
    const org = w.emulator.world!.org;
    const contact = org.contacts.find((c) => c.whatsAppNumber && c.openMessagingId)!;
    return [
      {
        path: '/api/v2/conversations/messages/agentless',
        body: {
          fromAddress: org.smsNumbers[0]!.phoneNumber,
          toAddress: contact.phone,
          toAddressMessengerType: 'sms',
          textBody: 'Your order has shipped.',
        },
      },
      {
        path: '/api/v2/conversations/messages/agentless',
        body: {
          fromAddress: org.openIntegration.id,
          toAddress: contact.openMessagingId,
          toAddressMessengerType: 'open',
          textBody: 'Your order has shipped.',
        },
      },
    ];
  },
  'GET /api/v2/analytics/conversations/details': (w) => {
    const ids = w.conversations().map((c) => c.id);
    const calls: ProbeCall[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const query = ids
        .slice(i, i + 100)
        .map((id) => `id=${id}`)
        .join('&');
      calls.push({ path: `/api/v2/analytics/conversations/details?${query}` });
    }
    return calls;
  },
  'GET /api/v2/analytics/conversations/{conversationId}/details': (w) =>
    w
      .conversations()
      .slice(0, 30)
      .map((c) => ({ path: `/api/v2/analytics/conversations/${c.id}/details` })),
  'POST /api/v2/analytics/conversations/details/query': (w) => [
    {
      path: '/api/v2/analytics/conversations/details/query',
      body: { interval: interval(w), paging: { pageSize: 100, pageNumber: 1 } },
    },
    {
      path: '/api/v2/analytics/conversations/details/query',
      body: {
        interval: interval(w),
        order: 'desc',
        orderBy: 'conversationStart',
        segmentFilters: [
          {
            type: 'and',
            predicates: [
              { dimension: 'mediaType', value: 'message' },
              { dimension: 'messageType', value: 'webmessaging' },
            ],
          },
        ],
        paging: { pageSize: 100, pageNumber: 1 },
      },
    },
  ],
};

async function newChannel(w: ConformanceWorld): Promise<string> {
  const created = await w.call('POST', '/api/v2/notifications/channels');
  return (created.body as { id: string }).id;
}

const routeKey = (route: Route) => `${route.method} ${route.pattern}`;

describe('conformance: every emulator route against the platform definitions', () => {
  let w: ConformanceWorld;
  before(async () => {
    w = await startConformanceWorld();
    await scriptEveryShape(w);
  });
  after(() => w?.stop());

  test('the definitions name their source', () => {
    assert.match(definitions.source.commit, /^[0-9a-f]{40}$/);
    assert.ok(definitions.operations.length > 0 && Object.keys(definitions.models).length > 0);
  });

  test('every platform route the emulator serves is an operation of the platform, and has a probe here', () => {
    const platformRoutes = w.emulator.router.list().filter((r) => !r.pattern.startsWith('/__emulator/'));
    const missing: string[] = [];
    for (const route of platformRoutes) {
      const key = routeKey(route);
      if (NOT_IN_DEFINITIONS[key]) continue;
      if (!operationFor(route.method, route.pattern))
        missing.push(`${key}: not an operation of the platform`);
      else if (!PROBES[key]) missing.push(`${key}: no probe in responses.test.ts`);
    }
    assert.deepEqual(missing, []);
  });

  test('every route requires the permissions the platform requires', () => {
    const problems: string[] = [];
    for (const route of w.emulator.router.list()) {
      const operation = operationFor(route.method, route.pattern);
      if (!operation) continue;
      const { all = [], any = [] } = operation.permissions;
      // The emulator's router grants a route to a caller with any one of its permissions: a platform "all" list fits
      // it only with a single entry.
      if (all.length > 1) problems.push(`${routeKey(route)}: the platform requires all of ${all.join(', ')}`);
      const expected = [...all, ...any].sort();
      const actual = [...route.permissions].sort();
      if (expected.join() !== actual.join())
        problems.push(
          `${routeKey(route)}: requires [${actual.join(', ')}], the platform [${expected.join(', ')}]`,
        );
    }
    assert.deepEqual(problems, []);
  });

  test('every answer matches its operation’s response model', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const route of w.emulator.router.list()) {
      const key = routeKey(route);
      const probe = PROBES[key];
      const operation = operationFor(route.method, route.pattern);
      if (!probe || !operation) continue;
      for (const call of await probe(w)) {
        const response = call.asAgent
          ? await callAs(w, w.agentToken, route.method, call.path, call.body)
          : await w.call(route.method, call.path, call.body);
        const expected = call.status ?? 200;
        if (response.status !== expected) {
          problems.push(`${key} ${call.path}: status ${response.status}, expected ${expected}`);
          continue;
        }
        if (!operation.response) continue;
        checked++;
        for (const problem of conformance(response.body, operation.response, { mayOmit: MAY_OMIT })) {
          problems.push(`${key} ${call.path}: ${problem}`);
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} answers were checked`);
    assert.deepEqual(dedupe(problems), []);
  });
});

async function callAs(w: ConformanceWorld, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${w.emulator.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The same problem at many indices is one problem: keep the first of each shape, with a count. */
function dedupe(problems: string[]): string[] {
  const byShape = new Map<string, { first: string; count: number }>();
  for (const p of problems) {
    const shape = p
      .replace(/\[\d+\]/g, '[]')
      .replace(/\/[0-9a-f-]{36}/g, '/{id}')
      .replace(/"[^"]*" is not/, 'X is not');
    const entry = byShape.get(shape);
    if (entry) entry.count++;
    else byShape.set(shape, { first: p, count: 1 });
  }
  return [...byShape.values()].map((e) => (e.count > 1 ? `${e.first} (×${e.count})` : e.first));
}
