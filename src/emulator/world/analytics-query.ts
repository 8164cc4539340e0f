/**
 * Reading `POST /api/v2/analytics/conversations/details/query` bodies (`ConversationQuery`). The shell has already
 * checked them against the platform's definition (required fields, enums: every dimension, metric, operator and
 * order the platform lists); this turns them into a query and checks what the definition cannot say (the interval's
 * form, paging limits, what each predicate type needs), naming the field of every problem.
 */

export type Operator = 'matches' | 'exists' | 'notExists';

/** A numeric range of a metric predicate (`NumericRange`). */
export interface NumericRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** One predicate: a dimension, a participant attribute (`property`) or a metric compared with a range. */
export type Predicate =
  | { kind: 'dimension'; dimension: string; operator: Operator; value?: string }
  | { kind: 'property'; property: string; operator: Operator; value?: string }
  | { kind: 'metric'; metric: string; operator: Operator; range?: NumericRange; value?: string };

export interface FilterNode {
  type: 'and' | 'or';
  predicates: Predicate[];
  clauses: { type: 'and' | 'or'; predicates: Predicate[] }[];
}

export interface ParsedQuery {
  from: number;
  to: number;
  order: 'asc' | 'desc' | 'unordered';
  orderBy: 'conversationStart' | 'conversationEnd' | 'segmentStart' | 'segmentEnd';
  pageSize: number;
  pageNumber: number;
  /** An evaluation, survey or resolution filter was given: the world has none, so nothing matches. */
  neverMatches: boolean;
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

/**
 * Filters on evaluations, surveys and resolutions: the world has none of these, so a filter on them matches no
 * conversation, as it would in an org without them.
 */
const NEVER_MATCHING_FILTERS = ['evaluationFilters', 'surveyFilters', 'resolutionFilters'] as const;

/** Parses and checks a query body; throws {@link QueryError}. */
export function parseConversationQuery(body: unknown, limits: QueryLimits): ParsedQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new QueryError('The request body must be a ConversationQuery JSON object', 'body');
  const raw = body as Record<string, unknown>;
  const { from, to } = parseInterval(raw.interval);

  // The shell refused anything outside the platform's enums.
  const order = (raw.order ?? 'asc') as ParsedQuery['order'];
  const orderBy = (raw.orderBy ?? 'conversationStart') as ParsedQuery['orderBy'];

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

  const neverMatches = NEVER_MATCHING_FILTERS.some((key) => Array.isArray(raw[key]) && raw[key].length > 0);

  return {
    neverMatches,
    from,
    to,
    order,
    orderBy,
    pageSize,
    pageNumber,
    conversationFilters: parseFilters(raw.conversationFilters, 'conversationFilters'),
    segmentFilters: parseFilters(raw.segmentFilters, 'segmentFilters'),
  };
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new QueryError(`${field} must be an integer`, field);
  return value;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/** One end of an interval; the documented form has no zone (`YYYY-MM-DDThh:mm:ss`), which the platform reads as UTC. */
function intervalEnd(text: string, which: string): number {
  if (!DATE_TIME.test(text))
    throw new QueryError(`interval ${which} "${text}" is not an ISO-8601 date-time`, 'interval');
  const at = Date.parse(ZONED.test(text) ? text : `${text}Z`);
  if (Number.isNaN(at))
    throw new QueryError(`interval ${which} "${text}" is not a valid date-time`, 'interval');
  return at;
}

/** `"<start>/<end>"` (ISO-8601 date-times, with or without a zone). */
function parseInterval(value: unknown): { from: number; to: number } {
  if (typeof value !== 'string' || value === '')
    throw new QueryError('interval is required, as "<ISO-8601 start>/<ISO-8601 end>"', 'interval');
  const parts = value.split('/');
  if (parts.length !== 2)
    throw new QueryError(`interval "${value}" must be "<ISO-8601 start>/<ISO-8601 end>"`, 'interval');
  const from = intervalEnd(parts[0]!, 'start');
  const to = intervalEnd(parts[1]!, 'end');
  if (to <= from) throw new QueryError('interval end must be after its start', 'interval');
  return { from, to };
}

function parseFilters(value: unknown, field: string): FilterNode[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new QueryError(`${field} must be an array`, field);
  return value.map((filter, i) => {
    const at = `${field}[${i}]`;
    const f = filter as Record<string, unknown>;
    const predicates = parsePredicates(f.predicates, `${at}.predicates`);
    const clauses = ((f.clauses ?? []) as Record<string, unknown>[]).map((clause, j) => {
      const predicates = parsePredicates(clause.predicates, `${at}.clauses[${j}].predicates`);
      if (predicates.length === 0)
        throw new QueryError(
          `${at}.clauses[${j}].predicates must not be empty`,
          `${at}.clauses[${j}].predicates`,
        );
      return { type: clause.type as 'and' | 'or', predicates };
    });
    if (predicates.length === 0 && clauses.length === 0)
      throw new QueryError(`${at} needs at least one predicate or clause`, at);
    return { type: f.type as 'and' | 'or', predicates, clauses };
  });
}

function parsePredicates(value: unknown, field: string): Predicate[] {
  if (value === undefined) return [];
  return (value as Record<string, unknown>[]).map((p, i) => {
    const at = `${field}[${i}]`;
    const operator = (p.operator ?? 'matches') as Operator;
    const text = typeof p.value === 'string' ? p.value : undefined;
    const needsValue = (what: string) => {
      if (operator === 'matches' && text === undefined && p.range === undefined)
        throw new QueryError(`${at}.value is required with operator "matches" on ${what}`, `${at}.value`);
    };
    const withValue = <T extends Predicate>(predicate: T): T =>
      text === undefined ? predicate : { ...predicate, value: text };
    switch (p.type ?? 'dimension') {
      case 'property': {
        if (typeof p.property !== 'string' || p.property === '')
          throw new QueryError(`${at}.property is required when type is "property"`, `${at}.property`);
        needsValue(`property ${p.property}`);
        return withValue({ kind: 'property', property: p.property, operator });
      }
      case 'metric': {
        if (typeof p.metric !== 'string')
          throw new QueryError(`${at}.metric is required when type is "metric"`, `${at}.metric`);
        if (operator === 'matches' && p.range === undefined && text === undefined)
          throw new QueryError(`${at}.range is required with a metric`, `${at}.range`);
        const predicate: Predicate = { kind: 'metric', metric: p.metric, operator };
        if (p.range !== undefined) predicate.range = parseRange(p.range, `${at}.range`);
        return withValue(predicate);
      }
      default: {
        if (typeof p.dimension !== 'string')
          throw new QueryError(`${at}.dimension is required when type is "dimension"`, `${at}.dimension`);
        needsValue(`dimension ${p.dimension}`);
        return withValue({ kind: 'dimension', dimension: p.dimension, operator });
      }
    }
  });
}

function parseRange(value: unknown, field: string): NumericRange {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new QueryError(`${field} must be an object {gt, gte, lt, lte}`, field);
  const range: NumericRange = {};
  for (const key of ['gt', 'gte', 'lt', 'lte'] as const) {
    const bound = (value as Record<string, unknown>)[key];
    if (bound === undefined) continue;
    if (typeof bound !== 'number')
      throw new QueryError(`${field}.${key} must be a number`, `${field}.${key}`);
    range[key] = bound;
  }
  if (Object.keys(range).length === 0) throw new QueryError(`${field} needs at least one bound`, field);
  return range;
}
