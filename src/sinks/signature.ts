/**
 * Webhook signing. Every request carries
 *
 *   X-Switchboard-Timestamp: <unix seconds>
 *   X-Switchboard-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * To verify, a receiver takes the raw request body bytes (before any JSON parsing), the timestamp header and the
 * shared secret, recomputes the HMAC over `timestamp + "." + body`, compares it with the header in constant time,
 * and rejects timestamps further than a few minutes from its own clock (replay protection). Then it dedupes on the
 * event `id` (also sent as `X-Switchboard-Event-Id`), since delivery is at-least-once.
 * {@link verifyWebhookSignature} does all of that but the dedupe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Switchboard-Signature';
export const TIMESTAMP_HEADER = 'X-Switchboard-Timestamp';
export const EVENT_ID_HEADER = 'X-Switchboard-Event-Id';
export const EVENT_TYPE_HEADER = 'X-Switchboard-Event-Type';
export const ATTEMPT_HEADER = 'X-Switchboard-Delivery-Attempt';

const SCHEME = 'sha256=';

/** The signature header value for `body` sent at `timestampSeconds`. */
export function signWebhookBody(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestampSeconds}.`);
  hmac.update(body);
  return `${SCHEME}${hmac.digest('hex')}`;
}

/** What {@link verifyWebhookSignature} needs from a received request. */
export interface WebhookVerificationInput {
  /** The raw body exactly as received. */
  body: string | Uint8Array;
  /** The `X-Switchboard-Signature` header. */
  signature: string | null | undefined;
  /** The `X-Switchboard-Timestamp` header. */
  timestamp: string | number | null | undefined;
  /** The shared secret; several while rotating secrets (any one matching is enough). */
  secret: string | readonly string[];
  /** Largest accepted distance between the timestamp and `now`, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The receiver's clock, ms since epoch (default: now). */
  now?: number;
}

/** True when the request was signed with the secret and its timestamp is recent. */
export function verifyWebhookSignature(input: WebhookVerificationInput): boolean {
  const { signature, body } = input;
  if (typeof signature !== 'string' || !signature.startsWith(SCHEME)) return false;
  const timestamp = typeof input.timestamp === 'number' ? input.timestamp : Number(input.timestamp);
  if (input.timestamp === null || input.timestamp === undefined || !Number.isInteger(timestamp)) return false;
  const nowSeconds = (input.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - timestamp) > (input.toleranceSeconds ?? 300)) return false;
  const given = Buffer.from(signature.slice(SCHEME.length), 'hex');
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signWebhookBody(secret, timestamp, body).slice(SCHEME.length), 'hex');
    // Compare every candidate, equal lengths only, so timing says nothing about which part differed.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}
