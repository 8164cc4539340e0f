/**
 * What the conversation stream needs over REST: listing the queues and users it follows, analytics (wrap-up codes
 * in batches, gap backfill) and reading a conversation (the wrap-up code analytics never showed).
 */
import { randomUUID } from 'node:crypto';
import type { SelectorValue } from '../stream/topic-selector.js';
import { checkAccess } from './access.js';
import type { DoctorContext, QueueSample } from './context.js';
import type { CheckResult } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Queue names looked up one call each; more are reported as not checked, to keep doctor cheap. */
const MAX_NAMES = 10;

interface Listing<T> {
  entities?: T[];
  total?: number;
}

interface QueueEntity {
  id?: string;
  name?: string;
  division?: { id?: string; name?: string };
}

function sampleOf(entities: QueueEntity[] | undefined): QueueSample[] {
  return (entities ?? []).flatMap((q) =>
    q.id
      ? [
          {
            id: q.id,
            ...(q.name ? { name: q.name } : {}),
            ...(q.division?.id ? { divisionId: q.division.id } : {}),
            ...(q.division?.name ? { divisionName: q.division.name } : {}),
          },
        ]
      : [],
  );
}

function selectorText(value: SelectorValue): string {
  return value === 'all' ? 'all' : value.join(', ');
}

/** `queues`: the listing (one page), and each queue the selection names. */
export async function checkQueues(ctx: DoctorContext): Promise<CheckResult | undefined> {
  const wanted = ctx.plan.selection?.queues;
  if (!wanted) return undefined;
  const { result, body } = await checkAccess(ctx, {
    id: 'queues',
    title: 'Queues',
    method: 'GET',
    pattern: '/api/v2/routing/queues',
    path: '/api/v2/routing/queues',
    query: { pageSize: 100, pageNumber: 1 },
    purpose: `Queue discovery (queues: ${selectorText(wanted)})`,
    describe: (b) => `the client sees ${(b as Listing<QueueEntity>).total ?? 0} queue(s)`,
  });
  if (result.status !== 'pass' || body === undefined) return result;
  const listing = body as Listing<QueueEntity>;
  ctx.facts.queues = { sample: sampleOf(listing.entities), total: listing.total ?? 0 };
  if (wanted === 'all') {
    if ((listing.total ?? 0) > 0) return result;
    return {
      ...result,
      status: 'warn',
      detail: `${result.detail} Nothing to follow: either the org has no queue, or none is in a division the client's role covers.`,
      fix: 'Give the OAuth client its role on the divisions that hold the queues (Admin > Integrations > OAuth > the client > Roles).',
    };
  }
  return resolveNamedQueues(ctx, wanted, result);
}

/** Looks each named queue up (ids in one call, names one call each) and fails for those not visible. */
async function resolveNamedQueues(
  ctx: DoctorContext,
  wanted: string[],
  listed: CheckResult,
): Promise<CheckResult> {
  const ids = wanted.filter((q) => UUID.test(q));
  const names = wanted.filter((q) => !UUID.test(q));
  const found: QueueSample[] = [];
  const missing: string[] = [];
  if (ids.length > 0) {
    const outcome = await ctx.prober.call<Listing<QueueEntity>>({
      method: 'GET',
      path: '/api/v2/routing/queues',
      query: { id: ids.slice(0, 100), pageSize: Math.min(100, ids.length), pageNumber: 1 },
    });
    const seen = outcome.kind === 'ok' ? sampleOf(outcome.body.entities) : [];
    found.push(...seen);
    for (const id of ids) if (!seen.some((q) => q.id.toLowerCase() === id.toLowerCase())) missing.push(id);
  }
  for (const name of names.slice(0, MAX_NAMES)) {
    const outcome = await ctx.prober.call<Listing<QueueEntity>>({
      method: 'GET',
      path: '/api/v2/routing/queues',
      query: { name, pageSize: 1, pageNumber: 1 },
    });
    const match = outcome.kind === 'ok' ? sampleOf(outcome.body.entities)[0] : undefined;
    if (match) found.push(match);
    else missing.push(name);
  }
  ctx.facts.namedQueues = found;
  const unchecked = names.length > MAX_NAMES ? ` (${names.length - MAX_NAMES} more names not checked)` : '';
  if (missing.length === 0) {
    return { ...listed, detail: `${listed.detail} Every named queue was found${unchecked}.` };
  }
  return {
    ...listed,
    status: 'fail',
    detail: `${listed.detail} Not visible to the client: ${missing.join(', ')}${unchecked}.`,
    fix:
      'Check the spelling (names match whole, case aside) or the id; a queue that exists but stays invisible is in a ' +
      "division the client's role does not cover: add that division to the role grant (Admin > Integrations > OAuth > the client > Roles).",
  };
}

/** `users`: the user directory (one user), when the stream follows users. */
export async function checkUsers(ctx: DoctorContext): Promise<CheckResult | undefined> {
  const wanted = ctx.plan.selection?.users;
  if (!wanted) return undefined;
  const { result, body } = await checkAccess(ctx, {
    id: 'users',
    title: 'Users',
    method: 'GET',
    pattern: '/api/v2/users',
    path: '/api/v2/users',
    query: { pageSize: 1, pageNumber: 1 },
    purpose: `User discovery (users: ${selectorText(wanted)})`,
    describe: (b) => `the client sees ${(b as Listing<unknown>).total ?? 0} user(s)`,
  });
  if (body !== undefined) {
    const listing = body as Listing<{ id?: string }>;
    const firstId = listing.entities?.[0]?.id;
    ctx.facts.users = { total: listing.total ?? 0, ...(firstId ? { firstId } : {}) };
  }
  return result;
}

/** `analytics`: a details query over the last hour, one result: wrap-up codes, backfill, proactive history. */
export async function checkAnalytics(ctx: DoctorContext): Promise<CheckResult | undefined> {
  const uses: string[] = [];
  if (ctx.plan.selection) uses.push('wrap-up codes');
  if (ctx.plan.selection && ctx.plan.backfill) uses.push('gap backfill');
  if (ctx.plan.rules) uses.push('proactive history');
  if (uses.length === 0) return undefined;
  const now = Date.now();
  const { result } = await checkAccess(ctx, {
    id: 'analytics',
    title: 'Analytics (conversation details)',
    method: 'POST',
    pattern: '/api/v2/analytics/conversations/details/query',
    path: '/api/v2/analytics/conversations/details/query',
    body: {
      interval: `${new Date(now - 3_600_000).toISOString()}/${new Date(now).toISOString()}`,
      order: 'desc',
      orderBy: 'conversationStart',
      paging: { pageSize: 1, pageNumber: 1 },
    },
    purpose: `Analytics for ${uses.join(', ')}`,
    // The agent variant only shows a user's own conversations: a client needs the org-wide one.
    recommend: ['analytics:conversationDetail:view'],
  });
  return result;
}

/** `conversations`: reading one conversation (the wrap-up code analytics still lacks after its horizon). */
export async function checkConversationReads(ctx: DoctorContext): Promise<CheckResult | undefined> {
  if (!ctx.plan.selection) return undefined;
  const { result } = await checkAccess(ctx, {
    id: 'conversations',
    title: 'Conversation reads',
    method: 'GET',
    pattern: '/api/v2/conversations/{conversationId}',
    // An id no conversation has: a 404 is read as access (the emulator checks permissions first; that the
    // platform does too is assumed, and the detail says what was inferred from what).
    path: `/api/v2/conversations/${randomUUID()}`,
    heldOn: [404],
    // Without it the stream still runs; a code analytics never shows is then emitted without it.
    whenMissing: ctx.plan.selection.users ? 'fail' : 'warn',
    purpose: 'Reading a conversation (a wrap-up code analytics has not shown after 10 minutes)',
  });
  return result;
}
