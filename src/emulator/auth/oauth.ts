/**
 * The OAuth side of the emulator: `POST /oauth/token` (client credentials) with the token endpoint's own error
 * shape, the bearer-token check every REST route goes through, and `/api/v2/tokens/me`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CallerIdentity, EmulatorRequest, EmulatorResponse, Router } from '../router.js';
import { platformError } from '../router.js';
import type { ClientRegistry } from './clients.js';
import type { TokenStore } from './tokens.js';

/** A token-endpoint error in the platform's shape: `{"error": "...", "description": "..."}`. */
function tokenError(status: number, error: string, description: string): EmulatorResponse {
  return { status, body: { error, description } };
}

/** Reads `Authorization: Basic base64(id:secret)`; undefined when absent or malformed. */
function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
  const header = headers.authorization;
  if (!header || !/^basic\s+/i.test(header)) return undefined;
  const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function formField(body: unknown, name: string): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Handles `POST /oauth/token`: client credentials from Basic auth (or form fields), grant `client_credentials`. */
export function handleTokenRequest(
  request: EmulatorRequest,
  clients: ClientRegistry,
  tokens: TokenStore,
): EmulatorResponse {
  const grantType = formField(request.body, 'grant_type');
  if (!grantType) return tokenError(400, 'invalid_request', 'grant_type is required');
  const basic = basicCredentials(request.headers);
  const id = basic?.id ?? formField(request.body, 'client_id');
  const secret = basic?.secret ?? formField(request.body, 'client_secret');
  if (!id || secret === undefined) return tokenError(401, 'invalid_client', 'client authentication required');
  // The login servers word the two refusals apart: an id the region does not know is "client not found", a known
  // client with the wrong secret "authentication failed" (both with error `invalid_client`).
  if (!clients.get(id)) return tokenError(401, 'invalid_client', 'client not found');
  const client = clients.authenticate(id, secret);
  if (!client) return tokenError(401, 'invalid_client', 'authentication failed');
  if (grantType !== 'client_credentials') {
    return tokenError(400, 'unsupported_grant_type', `grant type ${grantType} is not supported`);
  }
  const { accessToken, expiresIn } = tokens.issue(client);
  return {
    status: 200,
    body: { access_token: accessToken, token_type: 'bearer', expires_in: expiresIn },
    headers: { 'cache-control': 'no-store' },
  };
}

/** Result of authenticating a REST request: the caller, or the 401 to answer. */
export type Authentication = { caller: CallerIdentity } | { error: EmulatorResponse };

/** Checks the bearer token of a REST request. */
export function authenticate(headers: IncomingHttpHeaders, tokens: TokenStore): Authentication {
  const header = headers.authorization;
  const match = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    return {
      error: platformError(
        401,
        'authentication.required',
        'No authentication bearer token specified in authorization header.',
      ),
    };
  }
  const check = tokens.check(match[1]!);
  switch (check.status) {
    case 'valid': {
      const { record } = check;
      const caller: CallerIdentity = {
        clientId: record.clientId,
        permissions: record.permissions,
        tokenId: record.tokenId,
      };
      if (record.userId !== undefined) caller.userId = record.userId;
      return { caller };
    }
    case 'expired':
      return { error: platformError(401, 'credentials.expired', 'The authentication token has expired.') };
    default:
      // Unknown and revoked tokens look the same to the caller: the platform no longer knows them.
      return { error: platformError(401, 'bad.credentials', 'Invalid login credentials.') };
  }
}

/** Registers `POST /oauth/token` and `GET|DELETE /api/v2/tokens/me`. */
export function registerOAuthRoutes(
  router: Router,
  clients: ClientRegistry,
  tokens: TokenStore,
  organizationId: string,
): void {
  router.add('POST', '/oauth/token', (request) => handleTokenRequest(request, clients, tokens), {
    auth: false,
    rateLimited: false,
  });
  router.add('GET', '/api/v2/tokens/me', (request) => {
    const caller = request.caller!;
    const client = clients.get(caller.clientId);
    const organization = { id: organizationId, name: 'Switchboard Emulator' };
    return {
      status: 200,
      body: {
        organization,
        homeOrganization: organization,
        authorizedScope: [],
        OAuthClient: {
          id: caller.clientId,
          name: client?.name ?? caller.clientId,
          // The emulator issues client-credentials tokens; a user-context client stands for a code grant.
          authorizedGrantType: caller.userId === undefined ? 'CLIENT-CREDENTIALS' : 'CODE',
          organization: { id: organizationId },
        },
      },
    };
  });
  router.add('DELETE', '/api/v2/tokens/me', (request) => {
    tokens.revoke({ tokenId: request.caller!.tokenId });
    return { status: 204 };
  });
}
