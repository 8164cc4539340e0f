import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inQuietHours, localMinuteOfDay, quietUntil } from '../../../src/proactive/index.js';

const NIGHT = { startMinute: 21 * 60, endMinute: 8 * 60 };
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('quiet hours', () => {
  it('reads local time in the customer’s zone', () => {
    const t = Date.parse('2025-01-15T12:30:00Z');
    assert.equal(localMinuteOfDay(t, 'UTC'), 12 * 60 + 30);
    assert.equal(localMinuteOfDay(t, 'America/New_York'), 7 * 60 + 30);
    assert.equal(localMinuteOfDay(t, 'Australia/Sydney'), 23 * 60 + 30);
  });

  it('handles windows across midnight', () => {
    assert.equal(inQuietHours(22 * 60, NIGHT), true);
    assert.equal(inQuietHours(3 * 60, NIGHT), true);
    assert.equal(inQuietHours(8 * 60, NIGHT), false);
    assert.equal(inQuietHours(12 * 60, { startMinute: 11 * 60, endMinute: 13 * 60 }), true);
    assert.equal(inQuietHours(13 * 60, { startMinute: 11 * 60, endMinute: 13 * 60 }), false);
  });

  it('says when the window ends, in UTC, for the customer’s zone', () => {
    // 07:30 in New York: quiet until 08:00 local = 13:00 UTC.
    assert.equal(
      iso(quietUntil(Date.parse('2025-01-15T12:30:00Z'), NIGHT, 'America/New_York')),
      '2025-01-15T13:00:00.000Z',
    );
    // 23:30 in Sydney: quiet until 08:00 the next local morning = 21:00 UTC.
    assert.equal(
      iso(quietUntil(Date.parse('2025-01-15T12:30:00Z'), NIGHT, 'Australia/Sydney')),
      '2025-01-15T21:00:00.000Z',
    );
    assert.equal(quietUntil(Date.parse('2025-01-15T12:30:00Z'), NIGHT, 'Europe/London'), undefined);
  });

  it('lands on local 08:00 across a daylight-saving change', () => {
    // Night of 29–30 March 2025 in London: clocks go from 01:00 GMT to 02:00 BST.
    const until = quietUntil(Date.parse('2025-03-29T22:00:00Z'), NIGHT, 'Europe/London');
    assert.equal(iso(until), '2025-03-30T07:00:00.000Z');
    assert.equal(localMinuteOfDay(until!, 'Europe/London'), 8 * 60);
    // New York, 9 March 2025 (EST → EDT).
    const ny = quietUntil(Date.parse('2025-03-09T06:00:00Z'), NIGHT, 'America/New_York');
    assert.equal(iso(ny), '2025-03-09T12:00:00.000Z');
  });
});
