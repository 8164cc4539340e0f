/**
 * Region and credentials, told apart. One client-credentials request to the region's login server, read for what
 * went wrong: a host that does not resolve or does not answer (the region), a server that is not a login server
 * (a wrong base URL), a client the region does not know (the region, or the id), a known client with the wrong
 * secret. The platform client's own token provider stops at "refused"; doctor needs the platform's words.
 */
import { sendHttp, TransportError } from '../platform/http-transport.js';
import { SDK_REGION_HOSTS } from '../platform/index.js';
import type { ResolvedRegion } from '../platform/region.js';
import type { CheckResult } from './types.js';

const TOKEN_PATH = '/oauth/token';
const TIMEOUT_MS = 10_000;

/** How the login server answered. */
export type LoginOutcome =
  | { kind: 'token'; expiresInSeconds: number }
  | { kind: 'unreachable'; why: 'dns' | 'refused' | 'timeout' | 'tls' | 'network'; code?: string }
  | { kind: 'refused'; status: number; error?: string; description?: string }
  | { kind: 'not-login'; status: number }
  | { kind: 'server-error'; status: number };

const TLS_CODE = /^(CERT_|ERR_TLS|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/;

/** The first `code` along an error's causes (`ENOTFOUND`, `ECONNREFUSED`, ...). */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function unreachable(error: TransportError): LoginOutcome {
  const code = causeCode(error.cause);
  const why =
    error.kind === 'timeout'
      ? 'timeout'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'dns'
        : code === 'ECONNREFUSED'
          ? 'refused'
          : code && TLS_CODE.test(code)
            ? 'tls'
            : 'network';
  return { kind: 'unreachable', why, ...(code ? { code } : {}) };
}

/** Asks the region's login server for a client-credentials token; never throws for an answer or a network error. */
export async function tryLogin(
  region: ResolvedRegion,
  clientId: string,
  clientSecret: string,
): Promise<LoginOutcome> {
  const basic = Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
  let reply: Awaited<ReturnType<typeof sendHttp>>;
  try {
    reply = await sendHttp({
      url: `${region.loginBaseUrl}${TOKEN_PATH}`,
      method: 'POST',
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof TransportError) return unreachable(error);
    throw error;
  }
  const body = (reply.body && typeof reply.body === 'object' ? reply.body : {}) as Record<string, unknown>;
  if (reply.status >= 200 && reply.status < 300) {
    if (typeof body.access_token !== 'string' || body.access_token === '')
      return { kind: 'not-login', status: reply.status };
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 86_400;
    return { kind: 'token', expiresInSeconds: expiresIn };
  }
  if (reply.status >= 500 || reply.status === 429) return { kind: 'server-error', status: reply.status };
  if (typeof body.error === 'string') {
    const description =
      typeof body.description === 'string'
        ? body.description
        : typeof body.error_description === 'string'
          ? body.error_description
          : undefined;
    return {
      kind: 'refused',
      status: reply.status,
      error: body.error,
      ...(description ? { description } : {}),
    };
  }
  return { kind: 'not-login', status: reply.status };
}

function regionName(region: ResolvedRegion): string {
  return region.custom ? region.loginBaseUrl : `${region.name} (${region.loginBaseUrl})`;
}

const REGION_FIX =
  `Set GENESYS_CLOUD_REGION (or --region, or genesys.region in the config) to the org's region: the domain in ` +
  `the address of its admin pages (apps.<domain>), one of ${Object.values(SDK_REGION_HOSTS).join(', ')} — or ` +
  'to the http(s) base URL of an emulator or gateway.';

/** The `region` check: did the region's login server answer at all, and is it one. */
export function regionCheck(region: ResolvedRegion, outcome: LoginOutcome): CheckResult {
  const base = { id: 'region', title: 'Region' } as const;
  const where = regionName(region);
  const host = new URL(region.loginBaseUrl).host;
  if (outcome.kind === 'unreachable') {
    switch (outcome.why) {
      case 'dns':
        return {
          ...base,
          status: 'fail',
          detail: `${where}: the host ${host} does not resolve (${outcome.code}).`,
          // A platform region's hosts exist: then it is this machine's name resolution, not the setting.
          fix: region.custom
            ? `Check the host in the region URL. ${REGION_FIX}`
            : `${host} is the platform's own login host for ${region.name}: check this machine's DNS and outbound network. If the org is elsewhere: ${REGION_FIX}`,
        };
      case 'refused':
        return {
          ...base,
          status: 'fail',
          detail: `${where}: nothing listens at ${host} (connection refused).`,
          fix: `Check the host and port of the region setting (is the emulator or gateway running?). ${REGION_FIX}`,
        };
      case 'timeout':
        return {
          ...base,
          status: 'fail',
          detail: `${where}: no answer within ${TIMEOUT_MS / 1000} s.`,
          fix: `Check network access from this machine to ${host} (firewall, proxy), and the region setting.`,
        };
      case 'tls':
        return {
          ...base,
          status: 'fail',
          detail: `${where}: the TLS handshake failed (${outcome.code}).`,
          fix: 'A proxy that intercepts TLS needs its certificate authority in NODE_EXTRA_CA_CERTS; otherwise check the host.',
        };
      default:
        return {
          ...base,
          status: 'fail',
          detail: `${where}: the connection failed${outcome.code ? ` (${outcome.code})` : ''}.`,
          fix: `Check network access from this machine to ${host}, and the region setting.`,
        };
    }
  }
  if (outcome.kind === 'not-login') {
    return {
      ...base,
      status: 'fail',
      detail: `${where} answered ${outcome.status} to POST ${TOKEN_PATH}, but not as a Genesys Cloud login server does.`,
      fix: REGION_FIX,
    };
  }
  return {
    ...base,
    status: 'pass',
    detail: region.custom
      ? `${region.apiBaseUrl}: a custom base URL (emulator or gateway); its login server answers.`
      : `${region.name}: REST at ${region.apiBaseUrl}, login at ${region.loginBaseUrl} (answers).`,
  };
}

/** The `credentials` check: did the login server accept the client, and if not, which part it refused. */
export function credentialsCheck(
  region: ResolvedRegion,
  clientId: string,
  outcome: LoginOutcome,
): CheckResult {
  const base = { id: 'credentials', title: 'OAuth client' } as const;
  const where = regionName(region);
  switch (outcome.kind) {
    case 'token':
      return {
        ...base,
        status: 'pass',
        detail: `Client ${clientId} obtained a client-credentials token from ${where}.`,
      };
    case 'unreachable':
    case 'not-login':
      return { ...base, status: 'skip', detail: 'Needs a login server that answers (see region).' };
    case 'server-error':
      return {
        ...base,
        status: 'fail',
        detail: `${where} answered ${outcome.status} to the token request: the login server is failing or busy.`,
        fix: 'Run doctor again in a minute; if it persists, check https://status.mypurecloud.com.',
      };
    case 'refused':
      return refusal(where, clientId, outcome);
  }
}

function refusal(
  where: string,
  clientId: string,
  outcome: Extract<LoginOutcome, { kind: 'refused' }>,
): CheckResult {
  const base = { id: 'credentials', title: 'OAuth client', status: 'fail' } as const;
  const said = `${outcome.status} ${outcome.error}${outcome.description ? ` ("${outcome.description}")` : ''}`;
  const description = outcome.description?.toLowerCase() ?? '';
  const secretFix =
    `Copy the secret of client ${clientId} again from Admin > Integrations > OAuth (or create a new one there) ` +
    'into GENESYS_CLOUD_CLIENT_SECRET, --client-secret or genesys.clientSecret.';
  if (description.includes('client not found')) {
    return {
      ...base,
      detail: `${where} does not know client ${clientId}: ${said}.`,
      fix:
        `Is the region right? An OAuth client belongs to one org in one region, and ${where} is where it was ` +
        `looked for. ${REGION_FIX} If the region is right, check GENESYS_CLOUD_CLIENT_ID against Admin > Integrations > OAuth.`,
    };
  }
  if (description.includes('authentication failed')) {
    return {
      ...base,
      detail: `${where} knows client ${clientId} but refused its secret: ${said}.`,
      fix: secretFix,
    };
  }
  if (outcome.error === 'invalid_client') {
    return {
      ...base,
      detail: `${where} refused client ${clientId}: ${said}. The answer does not say whether the id or the secret is wrong.`,
      fix:
        `Check the client id, then the secret (${secretFix}) and the region: a client from another region is ` +
        `unknown here. ${REGION_FIX}`,
    };
  }
  return {
    ...base,
    detail: `${where} refused client ${clientId}: ${said}.`,
    fix:
      `The client must be a Client Credentials OAuth client (Admin > Integrations > OAuth > Grant Types), active, ` +
      'with its id and secret in GENESYS_CLOUD_CLIENT_ID and GENESYS_CLOUD_CLIENT_SECRET.',
  };
}
