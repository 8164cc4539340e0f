/**
 * One access check: a cheap call that needs a permission, read as pass (the permission is there), fail with the
 * permissions to grant (a 403), or warn (no usable answer). Some calls prove access by failing in another way: a
 * read of an id that does not exist answers 404, a request left empty 400. Reading those as "the permission is
 * there" assumes the platform checks permissions before it looks at the id or the body, as the emulator does; the
 * check's detail says which answer it was inferred from, so an operator can tell.
 */
import type { QueryValue } from '../platform/index.js';
import type { DoctorContext } from './context.js';
import { grantFix, provablePermissions, requiredPermissions } from './permissions.js';
import { describeOutcome } from './probe.js';
import type { CheckResult, CheckStatus } from './types.js';

export interface AccessProbe {
  id: string;
  title: string;
  method: 'GET' | 'POST';
  /** The operation's path as the platform's definitions write it (`/api/v2/conversations/{conversationId}`). */
  pattern: string;
  /** The path called. */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Error statuses that still prove access (404 for an id that does not exist, 400 for a request left empty). */
  heldOn?: number[];
  /** How bad a missing permission is for what is configured (fail unless said). */
  whenMissing?: Extract<CheckStatus, 'fail' | 'warn'>;
  /** The permissions to recommend when refused, when better than what the 403 lists (one of two is not enough). */
  recommend?: string[];
  /** What the access serves, starting the detail: "Queue discovery (--queues all)". */
  purpose: string;
  /** What a 2xx answer showed, appended to the detail. */
  describe?: (body: unknown) => string;
}

/** The check's result and, on a 2xx, the answer's body. */
export interface AccessOutcome {
  result: CheckResult;
  body?: unknown;
}

/** Runs one access probe. */
export async function checkAccess(ctx: DoctorContext, probe: AccessProbe): Promise<AccessOutcome> {
  const required = requiredPermissions(probe.method, probe.pattern);
  const call = `${probe.method} ${probe.path}`;
  const outcome = await ctx.prober.call({
    method: probe.method,
    path: probe.path,
    ...(probe.query ? { query: probe.query } : {}),
    ...(probe.body !== undefined ? { body: probe.body } : {}),
  });
  const base = { id: probe.id, title: probe.title };
  const held = (via: string) => {
    for (const permission of provablePermissions(required)) ctx.evidence.record(permission, true, via);
  };
  if (outcome.kind === 'ok') {
    held(call);
    const shown = probe.describe?.(outcome.body);
    return {
      result: { ...base, status: 'pass', detail: `${probe.purpose}: allowed${shown ? `; ${shown}` : ''}.` },
      body: outcome.body,
    };
  }
  if (outcome.kind === 'refused' && probe.heldOn?.includes(outcome.status)) {
    held(`${call} (${outcome.status})`);
    return {
      result: {
        ...base,
        status: 'pass',
        detail: `${probe.purpose}: allowed (${call} was answered ${outcome.status}, not 403: read as the permission being there).`,
      },
    };
  }
  if (outcome.kind === 'refused' && outcome.status === 403) {
    const anyOf =
      outcome.platformCode === 'missing.any.permissions' ||
      (outcome.missing.length === 0 && required.all.length === 0 && required.any.length > 1);
    const missing =
      outcome.missing.length > 0 ? outcome.missing : required.all.length > 0 ? required.all : required.any;
    for (const permission of missing) ctx.evidence.record(permission, false, `${call} (403)`);
    return {
      result: {
        ...base,
        status: probe.whenMissing ?? 'fail',
        detail: `${probe.purpose}: refused — ${call} answered 403${outcome.platformCode ? ` ${outcome.platformCode}` : ''}.`,
        fix: probe.recommend
          ? grantFix(probe.recommend, ctx.plan.clientId)
          : grantFix(missing, ctx.plan.clientId, anyOf),
      },
    };
  }
  return {
    result: {
      ...base,
      status: 'warn',
      detail: `${probe.purpose}: could not be checked — ${describeOutcome(outcome)}.`,
      fix: 'Run doctor again; if it persists, quote the correlation id above to Genesys support.',
    },
  };
}
