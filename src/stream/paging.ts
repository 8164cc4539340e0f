/** Walking the platform's paged listings: `{entities, pageSize, pageNumber, total, pageCount}`. */

/** One page of a platform listing (all fields optional, as the SDK models them). */
export interface ListingPage<T> {
  entities?: T[];
  pageNumber?: number;
  pageCount?: number;
  total?: number;
}

export interface FetchAllPagesOptions {
  /** Page size asked for (the platform's listings accept up to 100 for queues and users, 500 for some). */
  pageSize?: number;
  /** Stop after this many pages whatever the platform says, so a listing that never ends cannot loop forever. */
  maxPages?: number;
}

/** Fetches every page of a listing, in order, and returns all entities. */
export async function fetchAllPages<T>(
  fetchPage: (pageNumber: number, pageSize: number) => Promise<ListingPage<T>>,
  options: FetchAllPagesOptions = {},
): Promise<T[]> {
  const pageSize = options.pageSize ?? 100;
  const maxPages = options.maxPages ?? 1000;
  const all: T[] = [];
  for (let pageNumber = 1; pageNumber <= maxPages; pageNumber++) {
    const page = await fetchPage(pageNumber, pageSize);
    const entities = page.entities ?? [];
    all.push(...entities);
    if (entities.length === 0) break;
    if (page.pageCount !== undefined) {
      if (pageNumber >= page.pageCount) break;
    } else if (page.total !== undefined) {
      if (all.length >= page.total) break;
    } else if (entities.length < pageSize) {
      break;
    }
  }
  return all;
}
