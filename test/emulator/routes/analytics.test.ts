import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../../../src/emulator/router.js';
import { registerWorldRoutes } from '../../../src/emulator/routes/index.js';
import type { SimConversation } from '../../../src/emulator/world/index.js';
import { assertPlatformError, call, smallWorld } from './call.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read as JSON
type Json = any;

const { world, clock } = smallWorld({ historyDays: 6, historyConversationsPerDay: 50, timeScale: 60 });
const router = new Router();
registerWorldRoutes(router, world);
const NOW = world.now();
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const everything = `${iso(NOW - 7 * DAY)}/${iso(NOW + DAY)}`;
const stored = () => world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER);
const query = (body: unknown) =>
  call(router, 'POST', '/api/v2/analytics/conversations/details/query', { body });
const customerOf = (c: SimConversation) => c.participants.find((p) => p.purpose === 'customer');

async function allPages(body: Record<string, unknown>): Promise<Json[]> {
  const out: Json[] = [];
  for (let page = 1; ; page++) {
    const res = await query({ ...body, paging: { pageSize: 100, pageNumber: page } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    if (!res.json.conversations) return out;
    out.push(...res.json.conversations);
  }
}

describe('analytics details query: validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['no body object', [1], /ConversationQuery/],
    ['no interval', {}, /interval is required/],
    ['one-sided interval', { interval: iso(NOW) }, /interval/],
    ['interval not a date-time', { interval: '2025-01-01/tomorrow' }, /not an ISO-8601 date-time/],
    ['interval backwards', { interval: `${iso(NOW)}/${iso(NOW - 1000)}` }, /after its start/],
    [
      'page size above the maximum',
      { interval: everything, paging: { pageSize: 101, pageNumber: 1 } },
      /between 1 and 100/,
    ],
    ['page size zero', { interval: everything, paging: { pageSize: 0, pageNumber: 1 } }, /pageSize/],
    ['page number zero', { interval: everything, paging: { pageSize: 10, pageNumber: 0 } }, /pageNumber/],
    [
      'paging past 100,000 results',
      { interval: everything, paging: { pageSize: 100, pageNumber: 1001 } },
      /100000/,
    ],
    [
      'bad order',
      { interval: everything, order: 'up' },
      /Value \[up\] is not valid for field type \[Order\].*\(field order\)/,
    ],
    ['bad orderBy', { interval: everything, orderBy: 'colour' }, /field orderBy/],
    [
      'bad filter type',
      { interval: everything, segmentFilters: [{ type: 'xor', predicates: [] }] },
      /field segmentFilters\[0\]\.type/,
    ],
    [
      'unknown dimension',
      {
        interval: everything,
        segmentFilters: [{ type: 'and', predicates: [{ dimension: 'colour', value: 'red' }] }],
      },
      /Value \[colour\] is not valid .*\(field segmentFilters\[0\]\.predicates\[0\]\.dimension\)/,
    ],
    [
      'segment dimension in a conversation filter',
      {
        interval: everything,
        conversationFilters: [{ type: 'and', predicates: [{ dimension: 'mediaType', value: 'voice' }] }],
      },
      /conversationFilters\[0\]/,
    ],
    [
      'metric predicate',
      {
        interval: everything,
        segmentFilters: [{ type: 'and', predicates: [{ type: 'metric', metric: 'tSegmentDuration' }] }],
      },
      /range is required/,
    ],
    [
      'matches without value',
      { interval: everything, segmentFilters: [{ type: 'and', predicates: [{ dimension: 'queueId' }] }] },
      /value is required/,
    ],
    ['empty filter', { interval: everything, segmentFilters: [{ type: 'and' }] }, /at least one predicate/],
    [
      'empty clause',
      { interval: everything, segmentFilters: [{ type: 'and', clauses: [{ type: 'or', predicates: [] }] }] },
      /clauses\[0\]\.predicates/,
    ],
  ];
  for (const [name, body, message] of cases) {
    it(`answers 400 for ${name}`, async () => {
      const res = await query(body);
      assertPlatformError(res, 400, 'bad.request');
      assert.match(res.json.message, message);
    });
  }
  it('needs analytics:conversationDetail:view or analytics:agentConversationDetail:view', async () => {
    const res = await query({ interval: everything });
    assert.deepEqual(res.route.permissions, [
      'analytics:conversationDetail:view',
      'analytics:agentConversationDetail:view',
    ]);
  });

  it('reads an interval without a zone as UTC, as documented', async () => {
    const zoned = await query({ interval: everything });
    const plain = everything.replace(/\.\d{3}Z/g, '');
    const zoneless = await query({ interval: plain });
    assert.equal(zoneless.status, 200, JSON.stringify(zoneless.json));
    assert.equal(zoneless.json.totalHits, zoned.json.totalHits);
  });

  it('matches nothing with evaluation, survey or resolution filters: the world has none', async () => {
    const res = await query({ interval: everything, evaluationFilters: [{ type: 'and', predicates: [] }] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { totalHits: 0 });
  });
});

describe('analytics details query: interval, order and paging', () => {
  it('returns the conversations that started inside the interval, start inclusive and end exclusive', async () => {
    const sample = stored()[40]!;
    const exact = await query({ interval: `${iso(sample.startTime)}/${iso(sample.startTime + 1)}` });
    assert.ok(exact.json.conversations.some((c: Json) => c.conversationId === sample.id));
    const after = await query({ interval: `${iso(sample.startTime - 60_000)}/${iso(sample.startTime)}` });
    assert.ok(!(after.json.conversations ?? []).some((c: Json) => c.conversationId === sample.id));
    const from = NOW - 3 * DAY;
    const to = NOW - 2 * DAY;
    const expected = stored().filter((c) => c.startTime >= from && c.startTime < to);
    const found = await allPages({ interval: `${iso(from)}/${iso(to)}` });
    assert.deepEqual(found.map((c) => c.conversationId).sort(), expected.map((c) => c.id).sort());
  });

  it('omits conversations when nothing matched', async () => {
    const res = await query({ interval: `${iso(NOW - 20 * DAY)}/${iso(NOW - 19 * DAY)}` });
    assert.deepEqual(res.json, { totalHits: 0 });
  });

  it('pages 25 by default, keeps totalHits, and orders by start or end both ways', async () => {
    const first = await query({ interval: everything });
    assert.equal(first.json.conversations.length, 25);
    assert.equal(first.json.totalHits, stored().length);
    const starts = first.json.conversations.map((c: Json) => Date.parse(c.conversationStart));
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
      'ascending by default',
    );
    const second = await query({ interval: everything, paging: { pageSize: 25, pageNumber: 2 } });
    assert.ok(Date.parse(second.json.conversations[0].conversationStart) >= starts.at(-1));
    assert.equal(second.json.totalHits, first.json.totalHits);
    const desc = await query({
      interval: everything,
      order: 'desc',
      paging: { pageSize: 100, pageNumber: 1 },
    });
    const descStarts = desc.json.conversations.map((c: Json) => Date.parse(c.conversationStart));
    assert.deepEqual(
      descStarts,
      [...descStarts].sort((a, b) => b - a),
    );
    const byEnd = await query({ interval: everything, orderBy: 'conversationEnd', order: 'desc' });
    const ends = byEnd.json.conversations.map((c: Json) => Date.parse(c.conversationEnd));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => b - a),
    );
  });
});

describe('analytics details query: filters and shape', () => {
  it('finds a returning customer’s web messaging history with the documented query', async () => {
    const contactId = world.org.returningWebMessagingContactIds[0]!;
    const found = await allPages({
      interval: everything,
      order: 'desc',
      orderBy: 'conversationStart',
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { dimension: 'mediaType', value: 'message' },
            { dimension: 'messageType', value: 'webmessaging' },
            { dimension: 'externalContactId', value: contactId },
          ],
        },
      ],
    });
    const expected = stored().filter(
      (c) => c.channel === 'webmessaging' && customerOf(c)?.externalContactId === contactId,
    );
    assert.ok(expected.length >= 3);
    assert.deepEqual(found.map((c) => c.conversationId).sort(), expected.map((c) => c.id).sort());
    const conversation = found[0];
    assert.ok(conversation.conversationStart && conversation.conversationEnd);
    const customer = conversation.participants.find((p: Json) => p.purpose === 'customer');
    assert.equal(customer.externalContactId, contactId);
    const session = customer.sessions[0];
    assert.equal(session.mediaType, 'message');
    assert.equal(session.messageType, 'webmessaging');
    assert.equal(session.authenticated, true);
    assert.ok(session.segments[0].segmentType && session.segments[0].segmentStart);
    const agent = conversation.participants.find(
      (p: Json) =>
        p.purpose === 'agent' && p.sessions[0].segments.some((s: Json) => s.segmentType === 'interact'),
    );
    const wrapup = agent.sessions[0].segments.find((s: Json) => s.wrapUpCode);
    assert.ok(world.org.wrapupCodeById.has(wrapup.wrapUpCode));
    assert.ok(agent.sessions[0].segments.some((s: Json) => s.queueId));
  });

  it('combines or-filters, nested clauses, exists and notExists', async () => {
    const orFound = await allPages({
      interval: everything,
      segmentFilters: [
        {
          type: 'or',
          predicates: [
            { dimension: 'messageType', value: 'sms' },
            { dimension: 'messageType', value: 'whatsapp' },
          ],
        },
      ],
    });
    assert.equal(
      orFound.length,
      stored().filter((c) => c.channel === 'sms' || c.channel === 'whatsapp').length,
    );
    const [q1, q2] = world.org.queues;
    const clauses = await allPages({
      interval: everything,
      segmentFilters: [
        {
          type: 'and',
          predicates: [{ dimension: 'mediaType', value: 'voice' }],
          clauses: [
            {
              type: 'or',
              predicates: [
                { dimension: 'queueId', value: q1!.id },
                { dimension: 'queueId', value: q2!.id },
              ],
            },
          ],
        },
      ],
    });
    const expected = stored().filter(
      (c) =>
        c.channel === 'voice' && c.participants.some((p) => p.queueId === q1!.id || p.queueId === q2!.id),
    );
    assert.equal(clauses.length, expected.length);
    const guests = await allPages({
      interval: everything,
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { dimension: 'purpose', value: 'customer' },
            { dimension: 'messageType', value: 'webmessaging' },
            { dimension: 'externalContactId', operator: 'notExists' },
          ],
        },
      ],
    });
    assert.ok(guests.length > 5);
    assert.equal(
      guests.length,
      stored().filter((c) => c.channel === 'webmessaging' && !customerOf(c)?.externalContactId).length,
    );
    const known = await query({
      interval: everything,
      segmentFilters: [{ type: 'and', predicates: [{ dimension: 'externalContactId', operator: 'exists' }] }],
    });
    assert.equal(
      known.json.totalHits,
      stored().filter((c) => c.participants.some((p) => p.externalContactId)).length,
    );
  });

  it('filters by user, wrap-up code, direction, address and conversation', async () => {
    const sample = stored().find((c) => c.participants.some((p) => p.wrapup))!;
    const agent = sample.participants.find((p) => p.wrapup)!;
    const byUserAndCode = await allPages({
      interval: everything,
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { dimension: 'userId', value: agent.userId! },
            { dimension: 'wrapUpCode', value: agent.wrapup!.code },
          ],
        },
      ],
    });
    assert.ok(byUserAndCode.some((c) => c.conversationId === sample.id));
    const byId = await query({
      interval: everything,
      conversationFilters: [{ type: 'and', predicates: [{ dimension: 'conversationId', value: sample.id }] }],
    });
    assert.equal(byId.json.totalHits, 1);
    const sms = stored().find((c) => c.channel === 'sms')!;
    const from = customerOf(sms)!.comm.fromAddress!;
    const byAddress = await allPages({
      interval: everything,
      segmentFilters: [
        {
          type: 'and',
          predicates: [
            { dimension: 'addressFrom', value: from },
            { dimension: 'direction', value: 'inbound' },
            { dimension: 'provider', value: 'PureCloud Messaging' },
          ],
        },
      ],
    });
    assert.ok(byAddress.some((c) => c.conversationId === sms.id));
  });

  it('includes live conversations, ongoing ones without conversationEnd', async () => {
    world.startScriptedConversation({ kind: 'voice', durationMs: 600_000, transfer: 'none' });
    clock.advance(2_000 + world.settings.analyticsLagMs + world.settings.analyticsLagJitterMs); // past the lag
    const ongoing = await query({
      interval: `${iso(NOW)}/${iso(world.now() + 1)}`,
      conversationFilters: [
        { type: 'and', predicates: [{ dimension: 'conversationEnd', operator: 'notExists' }] },
      ],
    });
    assert.equal(ongoing.json.totalHits, 1);
    const live = ongoing.json.conversations[0];
    assert.ok(!('conversationEnd' in live));
    assert.ok(
      live.participants.some((p: Json) => p.sessions[0].segments.some((s: Json) => !('segmentEnd' in s))),
    );
    clock.advance(3_600_000);
    const ended = await query({
      interval: `${iso(NOW)}/${iso(world.now() + 1)}`,
      conversationFilters: [
        { type: 'and', predicates: [{ dimension: 'conversationEnd', operator: 'exists' }] },
      ],
    });
    assert.equal(ended.json.totalHits, 1);
  });
});
