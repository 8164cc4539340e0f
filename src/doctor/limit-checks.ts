/**
 * The token and the request budget: which org the token is for and how long it lives (channels die with their
 * token, so a short one means rotating every channel that often), and the rate limit the platform reports.
 */
import type { DoctorContext } from './context.js';
import { describeOutcome } from './probe.js';
import type { CheckResult } from './types.js';

/** Below this, channel rotations come often enough to deserve a look. */
const SHORT_TOKEN_SECONDS = 3_600;
/** The platform's default per-token limit. */
const DEFAULT_REQUESTS_PER_MINUTE = 300;

interface TokenInfo {
  organization?: { id?: string; name?: string };
  OAuthClient?: { id?: string; name?: string; authorizedGrantType?: string };
}

function lifetime(seconds: number): string {
  if (seconds >= 3_600 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

/** `token`: the org and grant the token is for, and its lifetime. */
export async function checkToken(ctx: DoctorContext): Promise<CheckResult> {
  const base = { id: 'token', title: 'Token' } as const;
  const seconds = ctx.facts.tokenLifetimeSeconds;
  const outcome = await ctx.prober.call<TokenInfo>({ method: 'GET', path: '/api/v2/tokens/me' });
  const parts: string[] = [];
  let grantProblem: string | undefined;
  if (outcome.kind === 'ok') {
    const org = outcome.body.organization;
    if (org?.name || org?.id) parts.push(`org ${org.name ?? ''}${org.id ? ` (${org.id})` : ''}`.trim());
    const grant = outcome.body.OAuthClient?.authorizedGrantType;
    if (grant) parts.push(`grant ${grant}`);
    if (grant && grant !== 'CLIENT-CREDENTIALS') grantProblem = grant;
  } else {
    parts.push(`token info unavailable (${describeOutcome(outcome)})`);
  }
  if (seconds !== undefined) parts.push(`lives ${lifetime(seconds)}`);
  const detail = `${parts.join(', ')}.`;
  if (grantProblem) {
    return {
      ...base,
      status: 'warn',
      detail: `${detail} Switchboard expects a client-credentials token, not ${grantProblem}.`,
      fix: 'Use a Client Credentials OAuth client (Admin > Integrations > OAuth > Grant Types).',
    };
  }
  if (seconds !== undefined && seconds < SHORT_TOKEN_SECONDS) {
    return {
      ...base,
      status: 'warn',
      detail:
        `${detail} A notification channel dies with the token that made it, so the stream opens a fresh channel ` +
        `for every topic set about every ${lifetime(seconds)}.`,
      fix: "Lengthen the client's Token Duration (Admin > Integrations > OAuth > the client; the default is 86400 s).",
    };
  }
  return { ...base, status: 'pass', detail };
}

/** `rate-limit`: the per-token limit the platform reported in `inin-ratelimit-allowed`, against the configured one. */
export function checkRateLimit(ctx: DoctorContext): CheckResult {
  const base = { id: 'rate-limit', title: 'Rate limit' } as const;
  const allowed = ctx.prober.rateLimitAllowed;
  const used = `doctor made ${ctx.prober.requests} request(s)`;
  const configured = ctx.plan.requestsPerMinute;
  if (allowed === undefined) {
    return {
      ...base,
      status: 'warn',
      detail: `The platform reported no limit (no inin-ratelimit-allowed header); Switchboard assumes ${configured ?? DEFAULT_REQUESTS_PER_MINUTE} a minute. ${used}.`,
    };
  }
  if (configured !== undefined && configured > allowed) {
    return {
      ...base,
      status: 'warn',
      detail: `The platform allows ${allowed} requests a minute per token; the config asks for ${configured}. ${used}.`,
      fix: `Set genesys.requestsPerMinute (or --rate-limit) to ${allowed} or less, or leave it out: Switchboard adopts the platform's figure.`,
    };
  }
  if (allowed < DEFAULT_REQUESTS_PER_MINUTE) {
    return {
      ...base,
      status: 'warn',
      detail:
        `The platform allows ${allowed} requests a minute per token, below the usual ${DEFAULT_REQUESTS_PER_MINUTE}: ` +
        `backfill and proactive sends will be slower. ${used}.`,
      fix: 'Ask Genesys support to raise the limit, or give the proactive engine its own OAuth client (proactive.client).',
    };
  }
  return { ...base, status: 'pass', detail: `${allowed} requests a minute per token; ${used}.` };
}
