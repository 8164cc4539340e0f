/**
 * What doctor checks for: the region, the OAuth client, the stream's selection and the proactive rules, from the
 * service config (`--config`) or from the same flags and environment as `listen` and `proactive`. A setting that
 * cannot be read becomes a failed check (with the error's own hint), so the checklist is printed either way.
 */
import { isSwitchboardError, type SwitchboardError } from '../errors.js';
import { loadPlatformSettings } from '../platform/platform-settings.js';
import { resolveRegion } from '../platform/region.js';
import { loadRulesFile } from '../proactive/rules/load.js';
import { loadServiceConfig } from '../service/config.js';
import { parseSelectorValue, type TopicSelection } from '../stream/topic-selector.js';
import type { CheckResult, DoctorPlan } from './types.js';

/** The command-line side of doctor. */
export interface DoctorInput {
  /** The service config (`switchboard.yaml`). */
  config?: string;
  region?: string;
  clientId?: string;
  clientSecret?: string;
  queues?: string;
  users?: string;
  topic?: string[];
  /** A proactive rules file (overrides the config's `proactive.rules`). */
  rules?: string;
  rateLimit?: string;
  env?: Record<string, string | undefined>;
}

export type PlanOutcome =
  | { ok: true; plan: DoctorPlan; notes: string[] }
  | { ok: false; checks: CheckResult[] };

/** A setting error as the check it fails: the region, the client, or the configuration at large. */
function failedSetting(error: SwitchboardError): CheckResult {
  const where =
    error.code === 'region_unknown'
      ? { id: 'region', title: 'Region' }
      : error.code === 'credentials_missing'
        ? { id: 'credentials', title: 'OAuth client' }
        : { id: 'config', title: 'Configuration' };
  return { ...where, status: 'fail', detail: error.message, ...(error.hint ? { fix: error.hint } : {}) };
}

function selectionFromFlags(input: DoctorInput): TopicSelection | undefined {
  const queues = parseSelectorValue(input.queues);
  const users = parseSelectorValue(input.users);
  const topics = input.topic ?? [];
  if (!queues && !users && topics.length === 0) return undefined;
  return { ...(queues ? { queues } : {}), ...(users ? { users } : {}), ...(topics.length ? { topics } : {}) };
}

function describeSelection(selection: TopicSelection | undefined): string {
  if (!selection) return 'no stream';
  const parts: string[] = [];
  const show = (v: 'all' | string[]) => (v === 'all' ? 'all' : v.join(','));
  if (selection.queues) parts.push(`queues ${show(selection.queues)}`);
  if (selection.users) parts.push(`users ${show(selection.users)}`);
  if (selection.topics?.length) parts.push(`${selection.topics.length} raw topic(s)`);
  return `stream of ${parts.join(', ')}`;
}

/** Resolves the plan; every setting problem is returned as a failed check instead of thrown. */
export function resolvePlan(input: DoctorInput): PlanOutcome {
  try {
    return build(input);
  } catch (error) {
    if (isSwitchboardError(error)) return { ok: false, checks: [failedSetting(error)] };
    throw error;
  }
}

function build(input: DoctorInput): PlanOutcome {
  const env = input.env ?? process.env;
  const flagged = selectionFromFlags(input);
  const rateLimit = input.rateLimit === undefined ? undefined : Number(input.rateLimit);
  const notes: string[] = [];
  let plan: DoctorPlan;
  if (input.config) {
    // Flags win over the file, as everywhere: they stand in for the environment the file may refer to.
    const config = loadServiceConfig(input.config, {
      env: {
        ...env,
        ...(input.clientId ? { GENESYS_CLOUD_CLIENT_ID: input.clientId } : {}),
        ...(input.clientSecret ? { GENESYS_CLOUD_CLIENT_SECRET: input.clientSecret } : {}),
        ...(input.region ? { GENESYS_CLOUD_REGION: input.region } : {}),
      },
    });
    const rulesPath = input.rules ?? config.proactive?.rulesPath;
    plan = {
      source: `--config ${input.config}`,
      region: input.region ? resolveRegion(input.region) : config.genesys.region,
      clientId: input.clientId ?? config.genesys.clientId,
      clientSecret: input.clientSecret ?? config.genesys.clientSecret,
      ...(config.genesys.requestsPerMinute ? { requestsPerMinute: config.genesys.requestsPerMinute } : {}),
      selection: flagged ?? config.stream.selection,
      backfill: config.stream.backfill,
      ...(rulesPath ? { rules: loadRulesFile(rulesPath) } : {}),
    };
  } else {
    const settings = loadPlatformSettings({
      ...(input.region ? { region: input.region } : {}),
      ...(input.clientId ? { clientId: input.clientId } : {}),
      ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
      env,
    });
    // Nothing said: the stream as the service runs it by default (every queue); a rules file alone: no stream.
    const selection = flagged ?? (input.rules ? undefined : { queues: 'all' as const });
    if (!flagged && !input.rules)
      notes.push('no selection given: checking for --queues all, as the service does');
    plan = {
      source: `flags and environment (region from ${settings.sources.region}, client from ${settings.sources.clientId})`,
      region: settings.region,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      ...(selection ? { selection } : {}),
      backfill: true,
      ...(input.rules ? { rules: loadRulesFile(input.rules) } : {}),
    };
  }
  if (rateLimit !== undefined && Number.isFinite(rateLimit) && rateLimit > 0)
    plan.requestsPerMinute = rateLimit;
  return { ok: true, plan, notes: [...notes, ...(plan.rules?.warnings ?? [])] };
}

/** The `config` check of a plan that resolved: what doctor is about to check, and the rules' own warnings. */
export function configCheck(plan: DoctorPlan, notes: readonly string[]): CheckResult {
  const rules = plan.rules
    ? `${plan.rules.rules.filter((r) => r.enabled).length} enabled proactive rule(s)${plan.rules.source ? ` from ${plan.rules.source}` : ''}`
    : 'no proactive rules';
  const detail = `Settings from ${plan.source}; ${describeSelection(plan.selection)}${
    plan.selection ? `, backfill ${plan.backfill ? 'on' : 'off'}` : ''
  }; ${rules}.`;
  const rulesWarnings = plan.rules?.warnings ?? [];
  return {
    id: 'config',
    title: 'Configuration',
    status: rulesWarnings.length > 0 ? 'warn' : 'pass',
    detail:
      notes.length > 0 ? `${detail} Notes: ${notes.map((n) => n.replace(/\.+$/, '')).join('; ')}.` : detail,
    ...(rulesWarnings.length > 0
      ? {
          fix: 'Change the rules the notes name, or accept what they say: a warning does not stop the engine.',
        }
      : {}),
  };
}
