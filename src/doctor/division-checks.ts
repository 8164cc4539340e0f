/**
 * Divisions. A role is granted to an OAuth client per division, and a client sees only the queues of the divisions
 * its role covers: a queue in another division is simply absent from the listing, never refused. So doctor sets
 * the org's divisions (`GET /api/v2/authorization/divisions`) beside the divisions of the queues it followed.
 */
import type { DoctorContext, QueueSample } from './context.js';
import { describeOutcome } from './probe.js';
import type { CheckResult } from './types.js';

interface Division {
  id?: string;
  name?: string;
  homeDivision?: boolean;
}

/** `divisions`: the org's divisions against those that hold the queues the client sees or follows. */
export async function checkDivisions(ctx: DoctorContext): Promise<CheckResult | undefined> {
  const wanted = ctx.plan.selection?.queues;
  if (!wanted) return undefined;
  const base = { id: 'divisions', title: 'Divisions' } as const;
  const queues: QueueSample[] | undefined =
    wanted === 'all' ? ctx.facts.queues?.sample : (ctx.facts.namedQueues ?? undefined);
  if (!queues) return { ...base, status: 'skip', detail: 'Needs the queue listing (see queues).' };
  const outcome = await ctx.prober.call<{ entities?: Division[]; total?: number }>({
    method: 'GET',
    path: '/api/v2/authorization/divisions',
    query: { pageSize: 100, pageNumber: 1 },
  });
  if (outcome.kind !== 'ok') {
    return {
      ...base,
      status: 'warn',
      detail: `The org's divisions could not be listed: ${describeOutcome(outcome)}.`,
    };
  }
  const divisions = (outcome.body.entities ?? []).filter((d): d is Division & { id: string } => !!d.id);
  const holding = new Set(queues.flatMap((q) => (q.divisionId ? [q.divisionId.toLowerCase()] : [])));
  const name = (d: Division & { id: string }) => `${d.name ?? d.id}${d.homeDivision ? ' (home)' : ''}`;
  const covered = divisions.filter((d) => holding.has(d.id.toLowerCase())).map(name);
  const without = divisions.filter((d) => !holding.has(d.id.toLowerCase())).map(name);
  const sampled =
    wanted === 'all' && (ctx.facts.queues?.total ?? 0) > queues.length
      ? ` (from the first ${queues.length} of ${ctx.facts.queues?.total} queues)`
      : '';
  const followed = wanted === 'all' ? 'the queues the client sees' : 'the queues followed';
  const detail = `The org has ${divisions.length} division(s); ${followed} are in ${covered.length > 0 ? covered.join(', ') : 'none of them'}${sampled}.`;
  if (wanted === 'all' && without.length > 0) {
    return {
      ...base,
      status: 'warn',
      detail: `${detail} No visible queue in ${without.join(', ')}: either they hold none, or the client's role does not cover them.`,
      fix:
        'If queues there should be followed, grant the OAuth client its role on those divisions ' +
        '(Admin > Integrations > OAuth > the client > Roles: each role is given per division).',
    };
  }
  return { ...base, status: 'pass', detail };
}
