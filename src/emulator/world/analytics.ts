/**
 * Conversation detail queries over everything the world holds (seeded history, live and scripted traffic, bursts,
 * agentless sends), answered in the `AnalyticsConversationQueryResponse` shape.
 */
import type { Models } from 'purecloud-platform-client-v2';
import type { FilterNode, ParsedQuery, Predicate } from './analytics-query.js';
import { iso, sparse } from './format.js';
import type { SimConversation, SimParticipant, SimSegment } from './model.js';
import { PROVIDER } from './render.js';
import type { ConversationStore } from './store.js';

type Lookup = (dimension: string) => string | undefined;

/** Runs a parsed query. The response omits `conversations` when nothing matched, as the platform does. */
export function runConversationQuery(
  store: ConversationStore,
  query: ParsedQuery,
): Models.AnalyticsConversationQueryResponse {
  // The platform answers with conversations that started on a day the interval touches and is known to be loose at
  // day boundaries; here a conversation matches when its start lies inside [start, end). Clients that query in
  // short intervals and de-duplicate by conversationId behave correctly against either.
  const matching = store
    .startedBetween(query.from, query.to)
    .filter(
      (c) =>
        query.conversationFilters.every((f) => evaluate(f, conversationLookup(c))) &&
        query.segmentFilters.every((f) => segmentContexts(c).some((lookup) => evaluate(f, lookup))),
    );
  const key = (c: SimConversation) =>
    query.orderBy === 'conversationEnd' ? (c.endTime ?? Number.POSITIVE_INFINITY) : c.startTime;
  const direction = query.order === 'desc' ? -1 : 1;
  matching.sort((a, b) => direction * (key(a) - key(b) || a.startTime - b.startTime) || compareIds(a, b));
  const offset = (query.pageNumber - 1) * query.pageSize;
  const page = matching.slice(offset, offset + query.pageSize);
  const response: Models.AnalyticsConversationQueryResponse = { totalHits: matching.length };
  if (page.length > 0) response.conversations = page.map(renderAnalyticsConversation);
  return response;
}

function compareIds(a: SimConversation, b: SimConversation): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function evaluate(filter: FilterNode, lookup: Lookup): boolean {
  const results = [
    ...filter.predicates.map((p) => test(p, lookup)),
    ...filter.clauses.map((clause) =>
      combine(
        clause.type,
        clause.predicates.map((p) => test(p, lookup)),
      ),
    ),
  ];
  return combine(filter.type, results);
}

function combine(type: 'and' | 'or', results: boolean[]): boolean {
  return type === 'and' ? results.every(Boolean) : results.some(Boolean);
}

function test(predicate: Predicate, lookup: Lookup): boolean {
  const value = lookup(predicate.dimension);
  if (predicate.operator === 'exists') return value !== undefined;
  if (predicate.operator === 'notExists') return value === undefined;
  return value !== undefined && value === predicate.value;
}

function conversationLookup(c: SimConversation): Lookup {
  return (dimension) => {
    switch (dimension) {
      case 'conversationId':
        return c.id;
      case 'conversationEnd':
        return c.endTime === undefined ? undefined : iso(c.endTime);
      case 'divisionId':
        return c.divisionId;
      case 'originatingDirection':
        return c.originatingDirection;
      default:
        return undefined;
    }
  };
}

/** One lookup per segment: a segment sees its own, its session's, its participant's and its conversation's values. */
function segmentContexts(c: SimConversation): Lookup[] {
  const lookups: Lookup[] = [];
  const ofConversation = conversationLookup(c);
  for (const p of c.participants) {
    const session = sessionValues(c, p);
    for (const segment of p.comm.segments) {
      lookups.push(
        (dimension) => segmentValue(segment, dimension) ?? session[dimension] ?? ofConversation(dimension),
      );
    }
  }
  return lookups;
}

function segmentValue(segment: SimSegment, dimension: string): string | undefined {
  switch (dimension) {
    case 'queueId':
      return segment.queueId;
    case 'wrapUpCode':
      return segment.wrapUpCode;
    case 'disconnectType':
      return segment.disconnectType;
    case 'segmentType':
      return segment.segmentType;
    case 'segmentEnd':
      return segment.end === undefined ? undefined : iso(segment.end);
    default:
      return undefined;
  }
}

/** Session- and participant-level values of a leg, keyed by dimension name (absent keys are undefined). */
function sessionValues(c: SimConversation, p: SimParticipant): Record<string, string | undefined> {
  const { addressFrom, addressTo } = addresses(c);
  const call = c.media === 'voice' ? customerCall(c) : undefined;
  return {
    participantId: p.id,
    participantName: p.name,
    purpose: p.purpose,
    userId: p.userId,
    externalContactId: p.externalContactId,
    sessionId: p.comm.id,
    mediaType: c.media,
    messageType: p.comm.messageType,
    direction: p.comm.direction,
    addressFrom,
    addressTo,
    ani: call?.ani,
    dnis: call?.dnis,
    peerId: p.comm.peerId,
    provider: PROVIDER[c.media],
  };
}

function customerCall(c: SimConversation): { ani?: string; dnis?: string } {
  const customer = c.participants.find((p) => p.purpose === 'customer');
  const out: { ani?: string; dnis?: string } = {};
  if (customer?.comm.self) out.ani = customer.comm.self;
  if (customer?.comm.other) out.dnis = customer.comm.other;
  return out;
}

/** From/to as analytics reports them: in the direction of the conversation, the same on every leg. */
function addresses(c: SimConversation): { addressFrom?: string; addressTo?: string } {
  const customer = c.participants.find((x) => x.purpose === 'customer');
  if (!customer) return {};
  const cc = customer.comm;
  switch (c.media) {
    case 'voice':
      return { addressFrom: cc.self, addressTo: cc.other };
    case 'callback':
      return { addressTo: cc.callbackNumbers?.[0] };
    case 'email':
      return { addressFrom: customer.address, addressTo: 'support@example.com' };
    case 'message': {
      // Outbound conversations go from the business to the customer.
      return c.originatingDirection === 'outbound'
        ? { addressFrom: cc.toAddress, addressTo: cc.fromAddress }
        : { addressFrom: cc.fromAddress, addressTo: cc.toAddress };
    }
  }
}

/** One conversation in the analytics detail shape: participants → sessions → segments. */
export function renderAnalyticsConversation(
  c: SimConversation,
): Models.AnalyticsConversationWithoutAttributes {
  return sparse({
    conversationId: c.id,
    conversationStart: iso(c.startTime),
    conversationEnd: c.endTime === undefined ? undefined : iso(c.endTime),
    originatingDirection: c.originatingDirection,
    divisionIds: [c.divisionId],
    participants: c.participants.map((p) => {
      const values = sessionValues(c, p);
      return sparse({
        participantId: p.id,
        participantName: p.name,
        purpose: p.purpose,
        userId: p.userId,
        externalContactId: p.externalContactId,
        sessions: [
          sparse({
            sessionId: p.comm.id,
            mediaType: c.media,
            messageType: p.comm.messageType,
            direction: p.comm.direction,
            addressFrom: values.addressFrom,
            addressTo: values.addressTo,
            ani: values.ani,
            dnis: values.dnis,
            peerId: p.comm.peerId,
            requestedRoutings: p.purpose === 'acd' ? ['Standard'] : undefined,
            usedRouting: p.purpose === 'agent' && p.queueId ? 'Standard' : undefined,
            acwSkipped: p.comm.afterCallWork?.state === 'skipped' ? true : undefined,
            authenticated:
              p.purpose === 'customer' && p.comm.messageType === 'webmessaging'
                ? Boolean(p.externalContactId)
                : undefined,
            segments: p.comm.segments.map((s) =>
              sparse({
                segmentType: s.segmentType,
                segmentStart: iso(s.start),
                segmentEnd: s.end === undefined ? undefined : iso(s.end),
                queueId: s.queueId,
                disconnectType: s.disconnectType,
                wrapUpCode: s.wrapUpCode,
                conference: false,
              }),
            ),
          }),
        ],
      });
    }),
  });
}
