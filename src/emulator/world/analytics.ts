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

/** What a predicate can ask of a segment or a conversation: a dimension's value, an attribute, a metric. */
interface Lookup {
  dimension(name: string): string | undefined;
  property(name: string): string | undefined;
  metric(name: string): number | undefined;
}

/** Runs a parsed query. The response omits `conversations` when nothing matched, as the platform does. */
export function runConversationQuery(
  store: ConversationStore,
  query: ParsedQuery,
  view: {
    visible(c: SimConversation): boolean;
    recordOf(c: SimConversation): Models.AnalyticsConversationWithoutAttributes | undefined;
  } = { visible: () => true, recordOf: renderAnalyticsConversation },
): Models.AnalyticsConversationQueryResponse {
  // The platform answers with conversations that started on a day the interval touches and is known to be loose at
  // day boundaries; here a conversation matches when its start lies inside [start, end). Clients that query in
  // short intervals and de-duplicate by conversationId behave correctly against either.
  const matching = store
    .startedBetween(query.from, query.to)
    .filter(() => !query.neverMatches)
    // Conversations analytics has not caught up with yet are not found at all.
    .filter((c) => view.visible(c))
    .filter(
      (c) =>
        query.conversationFilters.every((f) => evaluate(f, conversationLookup(c))) &&
        query.segmentFilters.every((f) => segmentContexts(c).some((lookup) => evaluate(f, lookup))),
    );
  const key = (c: SimConversation) => {
    switch (query.orderBy) {
      case 'conversationEnd':
        return c.endTime ?? Number.POSITIVE_INFINITY;
      case 'segmentEnd':
        return lastSegmentEnd(c);
      default:
        // A conversation's first segment starts when it does.
        return c.startTime;
    }
  };
  // "unordered" lets the platform answer in any order; start order is one of them.
  const direction = query.order === 'desc' ? -1 : 1;
  matching.sort((a, b) => direction * (key(a) - key(b) || a.startTime - b.startTime) || compareIds(a, b));
  const offset = (query.pageNumber - 1) * query.pageSize;
  const page = matching.slice(offset, offset + query.pageSize);
  const response: Models.AnalyticsConversationQueryResponse = { totalHits: matching.length };
  // Filters read the conversation as it is now, the answer shows the record analytics has: a record can be behind.
  if (page.length > 0) response.conversations = page.map((c) => view.recordOf(c)!);
  return response;
}

function lastSegmentEnd(c: SimConversation): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const p of c.participants)
    for (const s of p.comm.segments) last = Math.max(last, s.end ?? Number.POSITIVE_INFINITY);
  return last;
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
  if (predicate.kind === 'metric') {
    const value = lookup.metric(predicate.metric);
    if (predicate.operator === 'exists') return value !== undefined;
    if (predicate.operator === 'notExists') return value === undefined;
    if (value === undefined) return false;
    const r = predicate.range;
    if (!r) return predicate.value !== undefined && String(value) === predicate.value;
    return (
      (r.gt === undefined || value > r.gt) &&
      (r.gte === undefined || value >= r.gte) &&
      (r.lt === undefined || value < r.lt) &&
      (r.lte === undefined || value <= r.lte)
    );
  }
  const value =
    predicate.kind === 'property'
      ? lookup.property(predicate.property)
      : lookup.dimension(predicate.dimension);
  if (predicate.operator === 'exists') return value !== undefined;
  if (predicate.operator === 'notExists') return value === undefined;
  return value !== undefined && value === predicate.value;
}

/**
 * Conversation metrics the world can compute. Every other metric the platform lists is accepted in a query and has
 * no value here (an `exists` on it matches nothing), as for an org that never produced it.
 */
function conversationMetric(c: SimConversation, metric: string): number | undefined {
  switch (metric) {
    case 'tConversationDuration':
      return c.endTime === undefined ? undefined : c.endTime - c.startTime;
    case 'nTransferred':
      return c.recentTransfers.length || undefined;
    case 'nBlindTransferred':
      return c.recentTransfers.filter((t) => t.transferType === 'unattended').length || undefined;
    case 'nConsultTransferred':
      return c.recentTransfers.filter((t) => t.transferType === 'attended').length || undefined;
    default:
      return undefined;
  }
}

function conversationLookup(c: SimConversation): Lookup {
  return {
    dimension: (name) => conversationDimension(c, name),
    property: () => undefined,
    metric: (name) => conversationMetric(c, name),
  };
}

function conversationDimension(c: SimConversation, dimension: string): string | undefined {
  switch (dimension) {
    case 'conversationId':
      return c.id;
    case 'conversationEnd':
      return c.endTime === undefined ? undefined : iso(c.endTime);
    case 'divisionId':
      return c.divisionId;
    case 'originatingDirection':
      return c.originatingDirection;
    case 'conversationStart':
      return iso(c.startTime);
    default:
      return undefined;
  }
}

/** One lookup per segment: a segment sees its own, its session's, its participant's and its conversation's values. */
function segmentContexts(c: SimConversation): Lookup[] {
  const lookups: Lookup[] = [];
  const ofConversation = conversationLookup(c);
  for (const p of c.participants) {
    const session = sessionValues(c, p);
    for (const segment of p.comm.segments) {
      lookups.push({
        dimension: (name) => segmentValue(segment, name) ?? session[name] ?? ofConversation.dimension(name),
        property: (name) => p.attributes[name],
        metric: (name) =>
          name === 'tSegmentDuration' && segment.end !== undefined
            ? segment.end - segment.start
            : ofConversation.metric(name),
      });
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
      return analyticsDisconnectType(segment.disconnectType);
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
    requestedRouting: p.purpose === 'acd' ? 'Standard' : undefined,
    usedRouting: p.purpose === 'agent' && p.queueId ? 'Standard' : undefined,
    authenticated: authenticatedGuest(p),
  };
}

/** Web messaging customers are authenticated when they carry an external contact; other legs say nothing. */
function authenticatedGuest(p: SimParticipant): string | undefined {
  return p.purpose === 'customer' && p.comm.messageType === 'webmessaging'
    ? String(Boolean(p.externalContactId))
    : undefined;
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

/**
 * Analytics spells disconnect types its own way (`consultTransfer` for the conversation API's `transfer.consult`);
 * the world records the conversation API's.
 */
const ANALYTICS_DISCONNECT_TYPES: Record<string, string> = {
  'transfer.conference': 'conferenceTransfer',
  'transfer.consult': 'consultTransfer',
  'transfer.forward': 'forwardTransfer',
  'transfer.noanswer': 'noAnswerTransfer',
  'transfer.notavailable': 'notAvailableTransfer',
  'transfer.dnd': 'dndTransfer',
  'transfer.donotdisturb': 'dndTransfer',
  'endpoint.dnd': 'dndEndpoint',
  'endpoint.donotdisturb': 'dndEndpoint',
  'transport.failure': 'transportFailure',
  'session.expired': 'sessionExpired',
};

export function analyticsDisconnectType(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (ANALYTICS_DISCONNECT_TYPES[value] ?? value);
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
            requestedRoutings: values.requestedRouting ? [values.requestedRouting] : undefined,
            usedRouting: values.usedRouting,
            acwSkipped: p.comm.afterCallWork?.state === 'skipped' ? true : undefined,
            authenticated: values.authenticated === undefined ? undefined : values.authenticated === 'true',
            segments: p.comm.segments.map((s) =>
              sparse({
                segmentType: s.segmentType,
                segmentStart: iso(s.start),
                segmentEnd: s.end === undefined ? undefined : iso(s.end),
                queueId: s.queueId,
                disconnectType: analyticsDisconnectType(s.disconnectType),
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
