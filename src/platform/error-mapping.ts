/**
 * Turns a non-2xx platform response into a GenesysApiError whose hint names the fix: the missing permission and
 * where to grant it, the credentials to check, the id that was not found, the field the platform complained of.
 */
import { GenesysApiError, type GenesysErrorDetails, RateLimitedError } from '../errors.js';

export interface FailedExchange {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface RequestIdentity {
  method: string;
  /** Path without host or query. */
  path: string;
}

interface PlatformErrorBody {
  message?: unknown;
  code?: unknown;
  messageParams?: unknown;
  contextId?: unknown;
  error?: unknown;
  description?: unknown;
}

const PERMISSION_PATTERN = /\b[a-zA-Z][\w-]*:[a-zA-Z*][\w*-]*:[a-zA-Z*][\w*-]*\b/g;

/** Permission names (`domain:entity:action`) found in an error's messageParams and message. */
export function missingPermissions(body: unknown): string[] {
  const found = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string')
      for (const match of value.matchAll(PERMISSION_PATTERN)) found.add(match[0]);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  const b = (body ?? {}) as PlatformErrorBody;
  collect(b.messageParams);
  collect(b.message);
  return [...found];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function hintFor(status: number, code: string | undefined, body: unknown, request: RequestIdentity): string {
  const platformMessage = text((body as PlatformErrorBody | undefined)?.message);
  if (code === 'missing.permissions' || code === 'missing.any.permissions') {
    const permissions = missingPermissions(body);
    const which =
      permissions.length === 0
        ? 'the permission named in the message'
        : code === 'missing.any.permissions' && permissions.length > 1
          ? `any one of ${permissions.join(', ')}`
          : permissions.join(', ');
    return `Grant ${which} to the OAuth client's role in Admin > Roles (and the role's divisions must cover the objects).`;
  }
  switch (status) {
    case 400:
    case 422:
      return `The platform rejected the request: ${platformMessage ?? 'bad request'}. Fix the field it names.`;
    case 401:
      return 'The access token was refused even after a fresh one was fetched: check that the OAuth client still exists, is a Client Credentials client, and belongs to this region.';
    case 403:
      return "The OAuth client may not do this: check its role's permissions and divisions in Admin > Roles.";
    case 404:
      return `Nothing at ${request.path}: check the id (it may have been deleted, or belong to another org or region).`;
    case 409:
      return 'The object changed concurrently or already exists: fetch it again and retry the change.';
    case 413:
      return 'The request body is too large (the platform accepts at most 512,000 bytes): send less per call.';
    case 429:
      return 'Lower the request rate (rateLimit.requestsPerWindow), or ask Genesys support to raise the limit.';
    default:
      if (status >= 500) {
        return 'Genesys Cloud failed to handle the request; retry later and quote the correlation id to support if it persists.';
      }
      return platformMessage ?? `HTTP ${status}`;
  }
}

function details(
  exchange: FailedExchange,
  request: RequestIdentity,
  retryAfter: number | undefined,
): GenesysErrorDetails {
  const body = asRecord(exchange.body) as PlatformErrorBody | undefined;
  return {
    status: exchange.status,
    platformCode: text(body?.code) ?? text(body?.error),
    correlationId: text(exchange.headers['inin-correlation-id']) ?? text(body?.contextId),
    method: request.method,
    path: request.path,
    messageParams: asRecord(body?.messageParams),
    body: exchange.body,
    retryAfterSeconds: retryAfter,
  };
}

function describe(d: GenesysErrorDetails): string {
  const body = asRecord(d.body) as PlatformErrorBody | undefined;
  const platformMessage =
    text(body?.message) ??
    text(body?.description) ??
    (typeof d.body === 'string' ? d.body.slice(0, 200) : undefined);
  const code = d.platformCode ? ` ${d.platformCode}` : '';
  const said = platformMessage ? `: ${platformMessage}` : '';
  const correlation = d.correlationId ? ` (correlation id ${d.correlationId})` : '';
  return `${d.method} ${d.path} failed with ${d.status}${code}${said}${correlation}`;
}

/** The GenesysApiError for a failed response. */
export function toGenesysApiError(
  exchange: FailedExchange,
  request: RequestIdentity,
  retryAfter?: number,
): GenesysApiError {
  const d = details(exchange, request, retryAfter);
  return new GenesysApiError(describe(d), d, {
    hint: hintFor(d.status, d.platformCode, exchange.body, request),
  });
}

/** The RateLimitedError for a 429 the client gave up on, saying why it stopped retrying. */
export function toRateLimitedError(
  exchange: FailedExchange,
  request: RequestIdentity,
  retryAfter: number | undefined,
  reason: string,
): RateLimitedError {
  const d = details(exchange, request, retryAfter);
  return new RateLimitedError(`${describe(d)}; ${reason}`, d, {
    hint: hintFor(429, d.platformCode, exchange.body, request),
  });
}
