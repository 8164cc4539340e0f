/** What the proactive engine needs of the platform client: the raw call through the shared pipeline. */
import { GenesysApiError } from '../errors.js';
import {
  type BudgetPurpose,
  missingPermissions,
  type PlatformClient,
  type PlatformRequest,
} from '../platform/index.js';

/** Any object that sends REST calls through the platform pipeline (token, pacing, 429, retries). */
export type PlatformRequester = Pick<PlatformClient, 'request'>;

/**
 * The same requester with `purpose` as the default budget purpose of every call: the proactive engine's lookups
 * and sends share the token's budget as `proactive`, with a minimum share, behind the stream's live enrichment.
 */
export function withPurpose(client: PlatformRequester, purpose: BudgetPurpose): PlatformRequester {
  return { request: <T>(request: PlatformRequest) => client.request<T>({ purpose, ...request }) };
}

/** Whether an error is the platform refusing the caller's permissions (403, or 401 after a fresh token). */
export function isForbidden(error: unknown): error is GenesysApiError {
  return error instanceof GenesysApiError && (error.status === 403 || error.status === 401);
}

/** What to tell an operator about a refused permission: the permission names, or the platform's message. */
export function describeForbidden(error: GenesysApiError): { permissions: string[]; reason: string } {
  const permissions = missingPermissions(error.body);
  const what = permissions.length > 0 ? `missing permission ${permissions.join(', ')}` : error.message;
  return {
    permissions,
    reason: `${error.method} ${error.path} was refused (${error.status}${error.platformCode ? ` ${error.platformCode}` : ''}): ${what}. Grant it to the OAuth client's role in Admin > Roles.`,
  };
}

/** Whether an error is a 404 from the platform. */
export function isNotFound(error: unknown): boolean {
  return error instanceof GenesysApiError && error.status === 404;
}
