/**
 * Topic permissions. `GET /api/v2/notifications/availabletopics?expand=requiresPermissions` says what each topic
 * the stream would subscribe needs; what the client holds is known from the REST checks (a client cannot list its
 * own permissions) or, with `--probe-topics`, from the platform's own verdict on a real subscription.
 */
import type { DoctorContext } from './context.js';
import { grantFix } from './permissions.js';
import { describeOutcome } from './probe.js';
import type { CheckResult } from './types.js';

/** A topic the configuration subscribes: by its template, with one concrete instance when one is known. */
export interface NeededTopic {
  /** What asks for it: `queues`, `users`, or the raw topic as configured. */
  source: string;
  /** A concrete topic name, when an id is known (a probe subscribes it). */
  concrete?: string;
  /** The template for queue and user topics; raw topics are matched against the catalogue. */
  template?: string;
}

/** The platform's verdict on one subscribed topic (from a probe channel). */
export interface TopicVerdict {
  topic: string;
  permitted: boolean;
  missingPermissions: string[];
  reason?: string;
}

interface AvailableTopic {
  id?: string;
  requiresPermissions?: string[];
  requiresCurrentUser?: boolean;
}

const QUEUE_TEMPLATE = 'v2.routing.queues.{id}.conversations';
const USER_TEMPLATE = 'v2.users.{id}.conversations';

/** `prefix?a&b` → `prefix.a`, `prefix.b`; other names as they are. */
function expandCombined(topic: string): string[] {
  const question = topic.indexOf('?');
  if (question < 0) return [topic];
  const prefix = topic.slice(0, question);
  return topic
    .slice(question + 1)
    .split('&')
    .map((suffix) => `${prefix}.${suffix}`);
}

/** The topics the plan subscribes, one per kind, with a concrete name where the checks found an id. */
export function neededTopics(ctx: DoctorContext): NeededTopic[] {
  const selection = ctx.plan.selection;
  if (!selection) return [];
  const needed: NeededTopic[] = [];
  if (selection.queues) {
    const queueId = ctx.facts.namedQueues?.[0]?.id ?? ctx.facts.queues?.sample[0]?.id;
    needed.push({
      source: 'queues',
      template: QUEUE_TEMPLATE,
      ...(queueId ? { concrete: QUEUE_TEMPLATE.replace('{id}', queueId.toLowerCase()) } : {}),
    });
  }
  if (selection.users) {
    const userId = selection.users === 'all' ? ctx.facts.users?.firstId : selection.users[0];
    needed.push({
      source: 'users',
      template: USER_TEMPLATE,
      ...(userId ? { concrete: USER_TEMPLATE.replace('{id}', userId.toLowerCase()) } : {}),
    });
  }
  for (const raw of selection.topics ?? []) {
    for (const topic of expandCombined(raw)) needed.push({ source: topic, concrete: topic });
  }
  return needed;
}

/** How many topics the plan subscribes in all, as far as the listings told (for the channel estimate). */
export function topicCount(ctx: DoctorContext): number {
  const selection = ctx.plan.selection;
  if (!selection) return 0;
  const queues =
    selection.queues === 'all' ? (ctx.facts.queues?.total ?? 0) : (selection.queues?.length ?? 0);
  const users = selection.users === 'all' ? (ctx.facts.users?.total ?? 0) : (selection.users?.length ?? 0);
  const raw = (selection.topics ?? []).flatMap(expandCombined).length;
  return queues + users + raw;
}

function templatePattern(template: string): RegExp {
  const source = template
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^.?&\\s]+');
  return new RegExp(`^${source}$`, 'i');
}

function findTopic(catalogue: AvailableTopic[], needed: NeededTopic): AvailableTopic | undefined {
  if (needed.template) {
    const template = needed.template.toLowerCase();
    return catalogue.find((t) => t.id?.toLowerCase() === template);
  }
  const name = needed.concrete ?? '';
  return catalogue.find((t) => t.id && templatePattern(t.id).test(name));
}

type Judgement =
  | { kind: 'ok'; via: string }
  | { kind: 'missing'; permissions: string[]; via: string }
  | { kind: 'unknown'; permissions: string[] };

/** What the REST checks learnt about a topic's permissions (one of them is enough). */
function judgeFromEvidence(ctx: DoctorContext, permissions: string[]): Judgement {
  if (permissions.length === 0) return { kind: 'ok', via: 'the topic requires no permission' };
  const findings = permissions.map((p) => ({ permission: p, finding: ctx.evidence.get(p) }));
  const held = findings.find((f) => f.finding?.held);
  if (held) return { kind: 'ok', via: `${held.permission} is held (${held.finding!.via})` };
  if (findings.every((f) => f.finding && !f.finding.held)) {
    return { kind: 'missing', permissions, via: findings.map((f) => f.finding!.via).join(', ') };
  }
  return { kind: 'unknown', permissions };
}

/** `topics`: every topic kind the plan subscribes, against what it requires and what the client holds. */
export async function checkTopics(
  ctx: DoctorContext,
  verdicts: readonly TopicVerdict[] | undefined,
): Promise<CheckResult | undefined> {
  const needed = neededTopics(ctx);
  if (needed.length === 0) return undefined;
  const base = { id: 'topics', title: 'Topic permissions' } as const;
  const outcome = await ctx.prober.call<{ entities?: AvailableTopic[] }>({
    method: 'GET',
    path: '/api/v2/notifications/availabletopics',
    query: { expand: 'requiresPermissions' },
  });
  if (outcome.kind !== 'ok') {
    return {
      ...base,
      status: 'warn',
      detail: `The topic catalogue could not be read: ${describeOutcome(outcome)}.`,
    };
  }
  const catalogue = outcome.body.entities ?? [];
  const lines: string[] = [];
  const fixes: string[] = [];
  let status: CheckResult['status'] = 'pass';
  const worsen = (to: 'warn' | 'fail') => {
    if (status !== 'fail') status = to;
  };
  for (const topic of needed) {
    const name = topic.template ?? topic.concrete ?? topic.source;
    const entry = findTopic(catalogue, topic);
    if (!entry) {
      worsen(topic.template ? 'warn' : 'fail');
      lines.push(`${name}: not a topic the platform offers`);
      if (!topic.template)
        fixes.push(`Correct or remove the topic ${name} (see GET /api/v2/notifications/availabletopics).`);
      continue;
    }
    if (entry.requiresCurrentUser) {
      worsen('fail');
      lines.push(`${name}: needs a user's own token; a client-credentials client cannot subscribe it`);
      fixes.push(`Remove the topic ${name}: it only works for the user it names.`);
      continue;
    }
    const permissions = entry.requiresPermissions ?? [];
    const verdict = verdicts?.find((v) => v.topic.toLowerCase() === topic.concrete?.toLowerCase());
    if (verdict) {
      if (verdict.permitted) {
        lines.push(`${entry.id}: permitted (subscribed on the probe channel)`);
      } else {
        worsen('fail');
        const missing = verdict.missingPermissions.length > 0 ? verdict.missingPermissions : permissions;
        lines.push(
          `${entry.id}: rejected on the probe channel${verdict.reason ? ` (${verdict.reason})` : ''}`,
        );
        if (missing.length > 0) fixes.push(grantFix(missing, ctx.plan.clientId, missing.length > 1));
      }
      continue;
    }
    const judged = judgeFromEvidence(ctx, permissions);
    if (judged.kind === 'ok') lines.push(`${entry.id}: allowed (${judged.via})`);
    else if (judged.kind === 'missing') {
      worsen('fail');
      lines.push(`${entry.id}: needs ${permissions.join(' or ')}, which the client lacks (${judged.via})`);
      fixes.push(grantFix(permissions, ctx.plan.clientId, permissions.length > 1));
    } else {
      worsen('warn');
      lines.push(`${entry.id}: needs ${permissions.join(' or ')}; not shown by any REST check`);
      if (!ctx.options.probeTopics) {
        fixes.push(
          'Run `switchboard doctor --probe-topics` to subscribe the topics on one channel and have the platform say (the channel stays 24 hours).',
        );
      }
    }
  }
  return {
    ...base,
    status,
    detail: `${lines.join('; ')}.`,
    ...(fixes.length > 0 ? { fix: [...new Set(fixes)].join(' ') } : {}),
  };
}
