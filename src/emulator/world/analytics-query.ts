/**
 * Validation of `POST /api/v2/analytics/conversations/details/query` bodies (`ConversationQuery`): every problem
 * is reported with the field it is in, the way a client author needs it.
 */

export const CONVERSATION_DIMENSIONS = [
  'conversationId',
  'conversationEnd',
  'divisionId',
  'externalTag',
  'originatingDirection',
] as const;

export const SEGMENT_DIMENSIONS = [
  'addressFrom',
  'addressTo',
  'ani',
  'conversationId',
  'direction',
  'disconnectType',
  'divisionId',
  'dnis',
  'externalContactId',
  'mediaType',
  'messageType',
  'participantId',
  'participantName',
  'peerId',
  'provider',
  'purpose',
  'queueId',
  'segmentEnd',
  'segmentType',
  'sessionId',
  'userId',
  'wrapUpCode',
] as const;

export type Operator = 'matches' | 'exists' | 'notExists';

export interface Predicate {
  dimension: string;
  operator: Operator;
  value?: string;
}

export interface FilterNode {
  type: 'and' | 'or';
  predicates: Predicate[];
  clauses: { type: 'and' | 'or'; predicates: Predicate[] }[];
}

export interface ParsedQuery {
  from: number;
  to: number;
  order: 'asc' | 'desc';
  orderBy: 'conversationStart' | 'conversationEnd';
  pageSize: number;
  pageNumber: number;
  conversationFilters: FilterNode[];
  segmentFilters: FilterNode[];
}

export interface QueryLimits {
  maxPageSize: number;
  maxResults: number;
}

/** A body problem: the message says which field and what is allowed. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

const UNSUPPORTED_FILTERS = ['evaluationFilters', 'surveyFilters', 'resolutionFilters'] as const;

/** Parses and checks a query body; throws {@link QueryError}. */
export function parseConversationQuery(body: unknown, limits: QueryLimits): ParsedQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new QueryError('The request body must be a ConversationQuery JSON object', 'body');
  const raw = body as Record<string, unknown>;
  const { from, to } = parseInterval(raw.interval);

  const order = raw.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new QueryError('order must be "asc" or "desc"', 'order');
  const orderBy = raw.orderBy ?? 'conversationStart';
  if (orderBy !== 'conversationStart' && orderBy !== 'conversationEnd')
    throw new QueryError('orderBy must be "conversationStart" or "conversationEnd"', 'orderBy');

  let pageSize = 25;
  let pageNumber = 1;
  if (raw.paging !== undefined) {
    if (typeof raw.paging !== 'object' || raw.paging === null || Array.isArray(raw.paging))
      throw new QueryError('paging must be an object {pageSize, pageNumber}', 'paging');
    const paging = raw.paging as Record<string, unknown>;
    if (paging.pageSize !== undefined) pageSize = integer(paging.pageSize, 'paging.pageSize');
    if (paging.pageNumber !== undefined) pageNumber = integer(paging.pageNumber, 'paging.pageNumber');
  }
  if (pageSize < 1 || pageSize > limits.maxPageSize)
    throw new QueryError(`paging.pageSize must be between 1 and ${limits.maxPageSize}`, 'paging.pageSize');
  if (pageNumber < 1) throw new QueryError('paging.pageNumber must be 1 or more', 'paging.pageNumber');
  if (pageSize * pageNumber > limits.maxResults)
    throw new QueryError(
      `Paging is limited to the first ${limits.maxResults} results; use a shorter interval or the details jobs API`,
      'paging',
    );

  for (const key of UNSUPPORTED_FILTERS) {
    const value = raw[key];
    if (value !== undefined && (!Array.isArray(value) || value.length > 0))
      throw new QueryError(`${key} are not supported by this emulator`, key);
  }

  return {
    from,
    to,
    order,
    orderBy,
    pageSize,
    pageNumber,
    conversationFilters: parseFilters(
      raw.conversationFilters,
      'conversationFilters',
      CONVERSATION_DIMENSIONS,
    ),
    segmentFilters: parseFilters(raw.segmentFilters, 'segmentFilters', SEGMENT_DIMENSIONS),
  };
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new QueryError(`${field} must be an integer`, field);
  return value;
}

/** `"<iso>/<iso>"`; times without a zone are not accepted (the platform needs them unambiguous). */
function parseInterval(value: unknown): { from: number; to: number } {
  if (typeof value !== 'string' || value === '')
    throw new QueryError('interval is required, as "<ISO-8601 start>/<ISO-8601 end>"', 'interval');
  const parts = value.split('/');
  if (parts.length !== 2)
    throw new QueryError(`interval "${value}" must be "<ISO-8601 start>/<ISO-8601 end>"`, 'interval');
  const [start, end] = parts as [string, string];
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i;
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (!zoned.test(start) || Number.isNaN(from))
    throw new QueryError(`interval start "${start}" is not an ISO-8601 date-time with a zone`, 'interval');
  if (!zoned.test(end) || Number.isNaN(to))
    throw new QueryError(`interval end "${end}" is not an ISO-8601 date-time with a zone`, 'interval');
  if (to <= from) throw new QueryError('interval end must be after its start', 'interval');
  return { from, to };
}

function parseFilters(value: unknown, field: string, dimensions: readonly string[]): FilterNode[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new QueryError(`${field} must be an array`, field);
  return value.map((filter, i) => {
    const at = `${field}[${i}]`;
    if (typeof filter !== 'object' || filter === null) throw new QueryError(`${at} must be an object`, at);
    const f = filter as Record<string, unknown>;
    const type = logical(f.type, `${at}.type`);
    const predicates = parsePredicates(f.predicates, `${at}.predicates`, dimensions, true);
    let clauses: FilterNode['clauses'] = [];
    if (f.clauses !== undefined) {
      if (!Array.isArray(f.clauses)) throw new QueryError(`${at}.clauses must be an array`, `${at}.clauses`);
      clauses = f.clauses.map((clause, j) => {
        const cat = `${at}.clauses[${j}]`;
        if (typeof clause !== 'object' || clause === null)
          throw new QueryError(`${cat} must be an object`, cat);
        const c = clause as Record<string, unknown>;
        return {
          type: logical(c.type, `${cat}.type`),
          predicates: parsePredicates(c.predicates, `${cat}.predicates`, dimensions, false),
        };
      });
    }
    if (predicates.length === 0 && clauses.length === 0)
      throw new QueryError(`${at} needs at least one predicate or clause`, at);
    return { type, predicates, clauses };
  });
}

function logical(value: unknown, field: string): 'and' | 'or' {
  if (value !== 'and' && value !== 'or') throw new QueryError(`${field} must be "and" or "or"`, field);
  return value;
}

function parsePredicates(
  value: unknown,
  field: string,
  dimensions: readonly string[],
  optional: boolean,
): Predicate[] {
  if (value === undefined && optional) return [];
  if (!Array.isArray(value) || (!optional && value.length === 0))
    throw new QueryError(`${field} must be a non-empty array`, field);
  return value.map((predicate, i) => {
    const at = `${field}[${i}]`;
    if (typeof predicate !== 'object' || predicate === null)
      throw new QueryError(`${at} must be an object`, at);
    const p = predicate as Record<string, unknown>;
    const type = p.type ?? 'dimension';
    if (type !== 'dimension')
      throw new QueryError(
        `${at}.type "${String(type)}" is not supported by this emulator; use "dimension"`,
        `${at}.type`,
      );
    if (typeof p.dimension !== 'string' || !dimensions.includes(p.dimension))
      throw new QueryError(
        `${at}.dimension "${String(p.dimension)}" is not a dimension here; one of: ${dimensions.join(', ')}`,
        `${at}.dimension`,
      );
    const operator = p.operator ?? 'matches';
    if (operator !== 'matches' && operator !== 'exists' && operator !== 'notExists')
      throw new QueryError(`${at}.operator must be "matches", "exists" or "notExists"`, `${at}.operator`);
    if (operator === 'matches' && (typeof p.value !== 'string' || p.value === ''))
      throw new QueryError(`${at}.value is required (a string) with operator "matches"`, `${at}.value`);
    const parsed: Predicate = { dimension: p.dimension, operator };
    if (typeof p.value === 'string') parsed.value = p.value;
    return parsed;
  });
}
