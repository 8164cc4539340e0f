/** Paged listings in the platform's shape: `{entities, pageSize, pageNumber, total, pageCount, ...uris}`. */
import { type EmulatorResponse, platformError } from '../router.js';

export interface Paging {
  pageSize: number;
  pageNumber: number;
}

/** Reads `pageSize` (default 25, at most `max`) and `pageNumber` (default 1); a 400 response when invalid. */
export function parsePaging(query: URLSearchParams, max = 500): Paging | EmulatorResponse {
  const read = (name: string, fallback: number): number | undefined => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    return /^\d+$/.test(raw) ? Number(raw) : undefined;
  };
  const pageSize = read('pageSize', 25);
  const pageNumber = read('pageNumber', 1);
  if (pageSize === undefined || pageSize < 1 || pageSize > max)
    return platformError(400, 'invalid.value', `pageSize must be an integer between 1 and ${max}`, { max });
  if (pageNumber === undefined || pageNumber < 1)
    return platformError(400, 'invalid.value', 'pageNumber must be an integer of 1 or more');
  return { pageSize, pageNumber };
}

export function isResponse(value: Paging | EmulatorResponse): value is EmulatorResponse {
  return 'status' in value;
}

/** One page of `items` as a listing body; `path` builds the navigation uris. */
export function listing<T>(items: readonly T[], paging: Paging, path: string): Record<string, unknown> {
  const { pageSize, pageNumber } = paging;
  const total = items.length;
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const uri = (n: number) => `${path}?pageSize=${pageSize}&pageNumber=${n}`;
  const body: Record<string, unknown> = {
    entities: items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize),
    pageSize,
    pageNumber,
    total,
    pageCount,
    firstUri: uri(1),
    selfUri: uri(pageNumber),
    lastUri: uri(pageCount),
  };
  if (pageNumber < pageCount) body.nextUri = uri(pageNumber + 1);
  if (pageNumber > 1) body.previousUri = uri(Math.min(pageNumber - 1, pageCount));
  return body;
}

/** Ids from repeated or comma-separated `name` query parameters. */
export function idsFrom(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}
