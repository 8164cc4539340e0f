import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectAll, type PagedListing, paginate } from '../../src/platform/paginate.js';

/** A listing of `total` numbers served the way the platform pages, optionally without pageCount. */
function listing(total: number, withPageCount = true) {
  const asked: number[] = [];
  const fetchPage = async ({ pageNumber, pageSize }: { pageNumber: number; pageSize: number }) => {
    asked.push(pageNumber);
    const entities = Array.from({ length: total }, (_, i) => i).slice(
      (pageNumber - 1) * pageSize,
      pageNumber * pageSize,
    );
    const page: PagedListing<number> = { entities, pageSize, pageNumber, total };
    if (withPageCount) page.pageCount = Math.ceil(total / pageSize);
    return page;
  };
  return { fetchPage, asked };
}

describe('paginate', () => {
  it('stops at pageCount', async () => {
    const { fetchPage, asked } = listing(25);
    assert.deepEqual(
      await collectAll(fetchPage, { pageSize: 10 }),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.deepEqual(asked, [1, 2, 3]);
  });

  it('stops on a short or empty page when pageCount is absent', async () => {
    const short = listing(25, false);
    assert.equal((await collectAll(short.fetchPage, { pageSize: 10 })).length, 25);
    assert.deepEqual(short.asked, [1, 2, 3]);
    const exact = listing(20, false);
    assert.equal((await collectAll(exact.fetchPage, { pageSize: 10 })).length, 20);
    assert.deepEqual(exact.asked, [1, 2, 3], 'a full last page needs one more (empty) page to be sure');
  });

  it('starts where asked, stops early when the caller breaks, and honours maxPages', async () => {
    const { fetchPage, asked } = listing(100);
    const seen: number[] = [];
    for await (const n of paginate(fetchPage, { pageSize: 10, startPage: 3 })) {
      seen.push(n);
      if (seen.length === 12) break;
    }
    assert.equal(seen[0], 20);
    assert.deepEqual(asked, [3, 4]);
    assert.equal((await collectAll(listing(100).fetchPage, { pageSize: 10, maxPages: 2 })).length, 20);
  });
});
