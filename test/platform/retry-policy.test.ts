import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError } from '../../src/platform/http-transport.js';
import {
  isIdempotent,
  isRetryableStatus,
  isRetryableTransport,
  parseRetryAfter,
  retryAfterSeconds,
} from '../../src/platform/retry-policy.js';

describe('retry policy', () => {
  it('treats reads, PUT, DELETE and known read-only POSTs as idempotent', () => {
    for (const method of ['GET', 'head', 'PUT', 'DELETE', 'OPTIONS'])
      assert.ok(isIdempotent(method, '/api/v2/x'));
    assert.ok(isIdempotent('POST', '/api/v2/analytics/conversations/details/query'));
    assert.ok(isIdempotent('POST', '/api/v2/externalcontacts/identifierlookup/contacts'));
    assert.ok(isIdempotent('POST', '/api/v2/conversations/messages/c1/messages/bulk'));
    assert.ok(isIdempotent('POST', '/api/v2/notifications/channels/ch1/subscriptions'));
    assert.ok(!isIdempotent('POST', '/api/v2/notifications/channels'), 'each POST creates a channel');
    assert.ok(!isIdempotent('POST', '/api/v2/conversations/messages/agentless'), 'each POST sends a message');
    assert.ok(!isIdempotent('PATCH', '/api/v2/users/u1'));
    assert.ok(isIdempotent('POST', '/api/v2/custom/search', [/^POST \/api\/v2\/custom\/search$/]));
  });

  it('retries 503 always, 502/504 only when idempotent, never 500 or 4xx', () => {
    assert.ok(isRetryableStatus(503, false));
    assert.ok(isRetryableStatus(502, true) && isRetryableStatus(504, true));
    assert.ok(!isRetryableStatus(502, false) && !isRetryableStatus(504, false));
    assert.ok(
      !isRetryableStatus(500, true) && !isRetryableStatus(400, true) && !isRetryableStatus(404, true),
    );
  });

  it('retries a connection never made on any method, others only when idempotent, aborts never', () => {
    const notSent = new TransportError('not_sent', 'refused', undefined);
    const reset = new TransportError('network', 'reset', undefined);
    const aborted = new TransportError('aborted', 'aborted', undefined);
    assert.ok(isRetryableTransport(notSent, false));
    assert.ok(isRetryableTransport(reset, true));
    assert.ok(!isRetryableTransport(reset, false));
    assert.ok(!isRetryableTransport(aborted, true));
  });

  it('reads a Retry-After value as seconds or as an HTTP date, in ms from now', () => {
    const now = Date.parse('2025-05-05T10:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter('1.5', now), 1_500);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Mon, 05 May 2025 10:00:07 GMT', now), 7_000);
    assert.equal(parseRetryAfter('Mon, 05 May 2025 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('reads a 429 wait from Retry-After as seconds or date, else from the platform message', () => {
    assert.equal(retryAfterSeconds({ 'retry-after': '7' }, undefined), 7);
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    const fromDate = retryAfterSeconds({ 'retry-after': inTen }, undefined);
    assert.ok(fromDate !== undefined && fromDate > 8 && fromDate <= 10);
    assert.equal(
      retryAfterSeconds(
        {},
        { message: 'Rate limit exceeded the maximum. Retry the request in [12] seconds' },
      ),
      12,
    );
    assert.equal(retryAfterSeconds({}, { message: 'slow down' }), undefined);
  });
});
