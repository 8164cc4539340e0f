/**
 * When a failed request may be sent again, and after how long.
 *
 * What is safe to repeat:
 * - 429 on any method: the platform refused the request before doing anything, so repeating it cannot duplicate
 *   an effect. We wait the Retry-After it asked for.
 * - 503 on any method: the service was unavailable and did not process the request (Genesys' own SDKs retry it).
 * - 502, 504 and network errors only on idempotent requests: a gateway timeout or a dropped connection can come
 *   *after* the backend acted, and repeating a non-idempotent POST could create a second channel or send a
 *   customer a second message.
 * - A connection that was never established (refused, DNS) on any method: nothing was sent.
 * Idempotent: GET, HEAD, OPTIONS, PUT, DELETE, plus POSTs that only read or that add-to-a-set (listed below,
 * extendable by configuration, or declared per request).
 */
import type { RetrySettings } from '../backoff.js';
import type { TransportError } from './http-transport.js';

/**
 * The platform client's retries: a few attempts, then a coded error (a sink's, in contrast, retry until delivered).
 * `maxAttempts` (default 4) counts attempts for 5xx and network failures, the first included; retry n waits a random
 * time in [0, min(`maxDelayMs`, `initialDelayMs`·2^(n-1))] (defaults 500 ms and 10 s); a `Retry-After` longer than
 * `maxRetryAfterMs` (default 60 s) fails at once with RateLimitedError.
 */
export interface RetryOptions extends RetrySettings {
  /** 429s a single request may meet before it fails with RateLimitedError (default 5). */
  maxRateLimitRetries: number;
  /** Wait used when a 429 names no delay, doubled for each further 429 (default 1 s). */
  defaultRetryAfterMs: number;
  /** Extra `METHOD /path` patterns to treat as idempotent. */
  idempotentRequests: RegExp[];
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxAttempts: 4,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxRateLimitRetries: 5,
  maxRetryAfterMs: 60_000,
  defaultRetryAfterMs: 1_000,
  idempotentRequests: [],
};

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** POSTs that read (queries, lookups, bulk fetches) or add to a set (subscriptions), matched on `POST /path`. */
export const IDEMPOTENT_POSTS: readonly RegExp[] = [
  /^POST \/api\/v2\/analytics\/[^?]*\/query$/,
  /^POST \/api\/v2\/externalcontacts\/identifierlookup(\/[^?]*)?$/,
  /^POST \/api\/v2\/conversations\/messages\/[^/]+\/messages\/bulk$/,
  /^POST \/api\/v2\/notifications\/channels\/[^/]+\/subscriptions$/,
];

/** Whether repeating `method path` cannot duplicate an effect. */
export function isIdempotent(method: string, path: string, extra: readonly RegExp[] = []): boolean {
  const upper = method.toUpperCase();
  if (IDEMPOTENT_METHODS.has(upper)) return true;
  const key = `${upper} ${path}`;
  return IDEMPOTENT_POSTS.some((re) => re.test(key)) || extra.some((re) => re.test(key));
}

/** Whether an HTTP status may be retried (429 is handled separately, with its Retry-After). */
export function isRetryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 503) return true;
  return idempotent && (status === 502 || status === 504);
}

/** Whether a transport failure may be retried. Never after the caller or the client aborted. */
export function isRetryableTransport(error: TransportError, idempotent: boolean): boolean {
  if (error.kind === 'aborted') return false;
  return !error.maybeSent || idempotent;
}

/**
 * Milliseconds from `now` an HTTP `Retry-After` value asks to wait: delta seconds or an HTTP date (a date already
 * past waits 0); undefined when absent or unreadable. The one reader of the header: the platform client's and the
 * webhook sink's.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Seconds a 429 asked to wait: the `Retry-After` header (seconds or HTTP date), else the number in the
 * platform's message "Retry the request in [N] seconds", else undefined.
 */
export function retryAfterSeconds(headers: Record<string, string>, body: unknown): number | undefined {
  const fromHeader = parseRetryAfter(headers['retry-after']);
  if (fromHeader !== undefined) return fromHeader / 1000;
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') {
    const match = /retry the request in \[?(\d+(?:\.\d+)?)\]? seconds?/i.exec(message);
    if (match) return Number(match[1]);
  }
  return undefined;
}
