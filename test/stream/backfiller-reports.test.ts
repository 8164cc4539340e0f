/**
 * Every gap recovery is reported, however many there have been: the service prints a line for each through
 * `onReport` (its `onBackfill`), and an earlier version that polled a list of the last 100 reports fell silent after
 * the hundredth. The gaps here are on topics no details query covers and nothing is followed, so each recovery
 * makes no call: the port refuses any.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backfiller, type BackfillReport } from '../../src/stream/backfiller.js';
import type { NotificationsPort } from '../../src/stream/port.js';

const noCalls = new Proxy({} as NotificationsPort, {
  get: (_target, name) => () => {
    throw new Error(`no platform call expected (${String(name)})`);
  },
});

describe('Backfiller reports', () => {
  it('tells of every recovery past the hundredth', async () => {
    const reports: Array<{ report: BackfillReport; complete: boolean }> = [];
    const backfiller = new Backfiller({
      port: noCalls,
      trackedConversations: () => [],
      onRecovered: () => {},
      onReport: (report, complete) => reports.push({ report, complete }),
      marginMs: 0,
      settleMs: 0,
      coalesceMs: 1,
    });
    const start = Date.now() - 3_600_000;
    const gaps = 150;
    // Ten seconds apart: none overlaps another, so each is a window of its own and a recovery of its own.
    for (let i = 0; i < gaps; i++) {
      backfiller.enqueue({
        start: new Date(start + i * 10_000).toISOString(),
        end: new Date(start + i * 10_000 + 1_000).toISOString(),
        topics: ['v2.users.00000000-0000-0000-0000-000000000001.presence'],
        reason: 'disconnected',
      });
    }
    await backfiller.idle();
    backfiller.stop();
    assert.equal(reports.length, gaps);
    assert.ok(reports.every(({ complete }) => complete));
    assert.equal(reports.at(-1)!.report.gapStart, new Date(start + (gaps - 1) * 10_000).toISOString());
    assert.equal(backfiller.progress().totals.windows, gaps);
  });
});
