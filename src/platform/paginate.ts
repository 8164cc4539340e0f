/**
 * Paging through the platform's `{entities, pageSize, pageNumber, total, pageCount}` listings
 * (`GET /api/v2/routing/queues`, `/api/v2/users`, `/api/v2/routing/wrapupcodes`, ...).
 */

/** A page of a platform listing; SDK `*EntityListing` models fit this shape. */
export interface PagedListing<T> {
  entities?: T[];
  pageSize?: number;
  pageNumber?: number;
  total?: number;
  pageCount?: number;
}

export interface PaginateOptions {
  /** Entities per page (default 100). */
  pageSize?: number;
  /** First page, 1-based (default 1). */
  startPage?: number;
  /** Stop after this many pages, as a guard against listings that never end (default 10,000). */
  maxPages?: number;
}

/** Fetches one page; `pageNumber` is 1-based. */
export type PageFetcher<T> = (page: { pageNumber: number; pageSize: number }) => Promise<PagedListing<T>>;

/** Yields every entity of a listing, fetching page after page until the last one. */
export async function* paginate<T>(
  fetchPage: PageFetcher<T>,
  options: PaginateOptions = {},
): AsyncGenerator<T> {
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 10_000;
  let pageNumber = options.startPage ?? 1;
  for (let fetched = 0; fetched < maxPages; fetched++, pageNumber++) {
    const page = await fetchPage({ pageNumber, pageSize });
    const entities = page.entities ?? [];
    yield* entities;
    if (entities.length === 0) return;
    if (page.pageCount !== undefined) {
      if (pageNumber >= page.pageCount) return;
    } else if (entities.length < (page.pageSize ?? pageSize)) {
      return;
    }
  }
}

/** Every entity of a listing, as one array. */
export async function collectAll<T>(fetchPage: PageFetcher<T>, options: PaginateOptions = {}): Promise<T[]> {
  const all: T[] = [];
  for await (const entity of paginate(fetchPage, options)) all.push(entity);
  return all;
}
