import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signWebhookBody, verifyWebhookSignature } from '../../src/sinks/signature.js';

const secret = 'whsec-test-0123456789';
const body = '{"id":"e1","type":"conversation.started"}';
const now = Date.parse('2025-05-05T10:00:00Z');
const timestamp = Math.floor(now / 1000);

describe('webhook signature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    assert.equal(signWebhookBody(secret, timestamp, body), `sha256=${expected}`);
    assert.equal(signWebhookBody(secret, timestamp, Buffer.from(body)), `sha256=${expected}`);
  });

  it('verifies a genuine request, from a string or raw bytes', () => {
    const signature = signWebhookBody(secret, timestamp, body);
    assert.equal(
      verifyWebhookSignature({ body, signature, timestamp: String(timestamp), secret, now }),
      true,
    );
    assert.equal(
      verifyWebhookSignature({ body: Buffer.from(body), signature, timestamp, secret, now: now + 60_000 }),
      true,
    );
  });

  it('rejects a changed body, another secret, a moved timestamp, a stale request or a malformed header', () => {
    const signature = signWebhookBody(secret, timestamp, body);
    const base = { body, signature, timestamp: String(timestamp), secret, now };
    assert.equal(verifyWebhookSignature({ ...base, body: body.replace('e1', 'e2') }), false);
    assert.equal(verifyWebhookSignature({ ...base, secret: 'other' }), false);
    assert.equal(verifyWebhookSignature({ ...base, timestamp: String(timestamp + 1) }), false);
    assert.equal(verifyWebhookSignature({ ...base, now: now + 301_000 }), false);
    assert.equal(verifyWebhookSignature({ ...base, now: now + 3_601_000, toleranceSeconds: 3_600 }), false);
    assert.equal(verifyWebhookSignature({ ...base, signature: signature.slice(0, -2) }), false);
    assert.equal(
      verifyWebhookSignature({ ...base, signature: signature.replace('sha256=', 'sha1=') }),
      false,
    );
    assert.equal(verifyWebhookSignature({ ...base, signature: undefined }), false);
    assert.equal(verifyWebhookSignature({ ...base, timestamp: 'yesterday' }), false);
  });

  it('accepts any of several secrets while rotating', () => {
    const signature = signWebhookBody('new-secret', timestamp, body);
    const input = { body, signature, timestamp, now };
    assert.equal(verifyWebhookSignature({ ...input, secret: ['old-secret', 'new-secret'] }), true);
    assert.equal(verifyWebhookSignature({ ...input, secret: ['old-secret'] }), false);
  });
});
