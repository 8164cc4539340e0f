/**
 * Runs the checks in order — settings, region and credentials, the token, what the stream needs, topics and
 * channels, divisions, what the proactive rules need, the rate limit — and adds them up into a report. A check
 * that needs something an earlier one could not establish is skipped with the reason. Every REST call is one
 * cheap read (one page, or an id that does not exist), so a full run stays far below the 300-a-minute budget.
 */
import { silentLogger } from '../logging.js';
import { createPlatformClient, type PlatformClient } from '../platform/index.js';
import { checkChannels, probeTopics } from './channel-checks.js';
import type { DoctorContext } from './context.js';
import { checkDivisions } from './division-checks.js';
import { checkRateLimit, checkToken } from './limit-checks.js';
import { credentialsCheck, regionCheck, tryLogin } from './login.js';
import { PermissionEvidence } from './permissions.js';
import { configCheck, type DoctorInput, resolvePlan } from './plan.js';
import { checkProactive } from './proactive-checks.js';
import { Prober } from './probe.js';
import { checkAnalytics, checkConversationReads, checkQueues, checkUsers } from './stream-checks.js';
import { checkTopics } from './topic-checks.js';
import type { CheckResult, CheckStatus, DoctorOptions, DoctorPlan, DoctorReport } from './types.js';

/** What the later checks would have been, skipped because the client has no token. */
const NEEDS_TOKEN: ReadonlyArray<{ id: string; title: string }> = [
  { id: 'token', title: 'Token' },
  { id: 'permissions', title: 'Permissions, topics, channels, divisions, senders' },
];

/** Runs every check that applies to the input and returns the report (it never throws for what it finds). */
export async function runDoctor(input: DoctorInput, options: DoctorOptions): Promise<DoctorReport> {
  const resolved = resolvePlan(input);
  if (!resolved.ok) return report(resolved.checks, 0, []);
  const { plan } = resolved;
  const checks: CheckResult[] = [configCheck(plan, resolved.notes)];
  const login = await tryLogin(plan.region, plan.clientId, plan.clientSecret);
  checks.push(regionCheck(plan.region, login), credentialsCheck(plan.region, plan.clientId, login));
  if (login.kind !== 'token') {
    for (const skipped of NEEDS_TOKEN) {
      checks.push({ ...skipped, status: 'skip', detail: 'Needs a token (see region and OAuth client).' });
    }
    return report(checks, 0, [], plan);
  }
  const client = doctorClient(plan);
  const ctx: DoctorContext = {
    plan,
    options,
    prober: new Prober(client),
    evidence: new PermissionEvidence(),
    facts: { tokenLifetimeSeconds: login.expiresInSeconds, leftBehind: [] },
  };
  try {
    checks.push(...(await platformChecks(ctx)));
  } finally {
    await client.close();
  }
  return report(checks, ctx.prober.requests, ctx.facts.leftBehind, plan);
}

/** The checks that need a token, in the order they build on each other. */
async function platformChecks(ctx: DoctorContext): Promise<CheckResult[]> {
  const results: Array<CheckResult | undefined> = [await checkToken(ctx)];
  results.push(await checkQueues(ctx), await checkUsers(ctx));
  results.push(await checkAnalytics(ctx), await checkConversationReads(ctx));
  // Proactive access checks before topics: a permission they prove can settle a topic's.
  const proactive = await checkProactive(ctx);
  const channels = await checkChannels(ctx);
  const probe =
    ctx.options.probeTopics && ctx.plan.selection ? await probeTopics(ctx, channels.held) : undefined;
  results.push(await checkTopics(ctx, probe?.verdicts), channels.result, probe?.result);
  results.push(await checkDivisions(ctx));
  results.push(...proactive);
  results.push(checkRateLimit(ctx));
  return results.filter((r): r is CheckResult => r !== undefined);
}

/** A platform client for doctor: one attempt per call where the default would retry for a while. */
function doctorClient(plan: DoctorPlan): PlatformClient {
  return createPlatformClient({
    region: plan.region,
    clientId: plan.clientId,
    clientSecret: plan.clientSecret,
    logger: silentLogger(),
    retry: { maxAttempts: 2, maxRateLimitRetries: 1 },
  });
}

function report(
  checks: CheckResult[],
  requests: number,
  leftBehind: DoctorReport['leftBehind'],
  plan?: DoctorPlan,
): DoctorReport {
  const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) summary[check.status]++;
  return {
    version: 1,
    ok: summary.fail === 0,
    ...(plan
      ? {
          region: {
            name: plan.region.name,
            apiBaseUrl: plan.region.apiBaseUrl,
            loginBaseUrl: plan.region.loginBaseUrl,
          },
          clientId: plan.clientId,
        }
      : {}),
    checks,
    summary,
    requests,
    leftBehind,
  };
}
