/**
 * Access to the dashboard, the API and the metrics: with a token configured, every request must carry it as
 * `Authorization: Bearer <token>`, or carry the cookie a browser gets by opening any page once with `?token=<token>`.
 * The cookie holds a digest of the token, not the token, and the token is taken out of the address bar at once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE_NAME = 'switchboard_session';

/** What to do with a request. */
export type AccessDecision =
  | { kind: 'allow' }
  /** The token came in the query and is right: set the cookie and redirect to the same URL without it. */
  | { kind: 'login'; cookie: string; location: string }
  | { kind: 'deny'; reason: string };

function digest(value: string): Buffer {
  return createHmac('sha256', 'switchboard-access').update(value).digest();
}

function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

function readCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/** Checks requests against the configured token (if any). */
export class AccessControl {
  private readonly tokenDigest: Buffer | undefined;
  private readonly cookieValue: string | undefined;

  constructor(token: string | undefined) {
    if (token !== undefined && token.length === 0) throw new RangeError('the access token must not be empty');
    this.tokenDigest = token === undefined ? undefined : digest(token);
    this.cookieValue =
      token === undefined ? undefined : createHmac('sha256', token).update('dashboard-session').digest('hex');
  }

  /** Whether a token is needed at all. */
  get required(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Decides on one request; `url` is its parsed URL. */
  check(request: IncomingMessage, url: URL): AccessDecision {
    const expected = this.tokenDigest;
    if (!expected || !this.cookieValue) return { kind: 'allow' };
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null) {
      if (!sameSecret(queryToken, expected))
        return { kind: 'deny', reason: 'the token in the URL is not valid' };
      const clean = new URL(url.href);
      clean.searchParams.delete('token');
      return {
        kind: 'login',
        cookie: `${COOKIE_NAME}=${this.cookieValue}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${clean.pathname}${clean.search}`,
      };
    }
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
      if (match && sameSecret(match[1]!, expected)) return { kind: 'allow' };
      return { kind: 'deny', reason: 'the Bearer token is not valid' };
    }
    const cookie = readCookie(request, COOKIE_NAME);
    if (cookie !== undefined) {
      if (sameSecret(cookie, digest(this.cookieValue))) return { kind: 'allow' };
      return { kind: 'deny', reason: 'the session cookie is not valid (the token changed?)' };
    }
    return {
      kind: 'deny',
      reason:
        'an access token is required: send "Authorization: Bearer <token>" or open the dashboard once with ?token=<token>',
    };
  }
}
