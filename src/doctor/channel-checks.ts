/**
 * Notification channels. The platform gives an OAuth client at most 20, silently evicts the least recently used
 * when a 21st is made (maybe a live one), keeps each 24 hours and has no DELETE. So doctor counts what the client
 * already holds across its tokens (`includechannels=oauthclient`) and creates a channel only when asked
 * (`--probe-topics`), only with headroom, and says what it leaves behind.
 */
import type { DoctorContext } from './context.js';
import { describeOutcome } from './probe.js';
import { neededTopics, type TopicVerdict, topicCount } from './topic-checks.js';
import type { CheckResult } from './types.js';

const MAX_CHANNELS = 20;
const TOPICS_PER_CHANNEL = 1_000;
/** A probe channel is made only while the client holds at most this many, keeping one spare for a hand-over. */
export const MAX_HELD_FOR_PROBE = 18;

/** `channels`: the channels the client holds, and whether the plan's topics fit beside them. */
export async function checkChannels(
  ctx: DoctorContext,
): Promise<{ result: CheckResult | undefined; held: number | undefined }> {
  const base = { id: 'channels', title: 'Notification channels' } as const;
  const outcome = await ctx.prober.call<{ entities?: unknown[] }>({
    method: 'GET',
    path: '/api/v2/notifications/channels',
    query: { includechannels: 'oauthclient' },
  });
  if (outcome.kind !== 'ok') {
    return {
      result: {
        ...base,
        status: 'warn',
        detail: `The client's channels could not be listed: ${describeOutcome(outcome)}.`,
      },
      held: undefined,
    };
  }
  const held = outcome.body.entities?.length ?? 0;
  if (!ctx.plan.selection) {
    return {
      result: {
        ...base,
        status: 'pass',
        detail: `The client holds ${held} of its ${MAX_CHANNELS} channels.`,
      },
      held,
    };
  }
  const topics = topicCount(ctx);
  const needed = Math.max(1, Math.ceil(topics / TOPICS_PER_CHANNEL));
  const plan = `following about ${topics} topic(s) takes ${needed} channel(s) of ${TOPICS_PER_CHANNEL} topics`;
  if (needed > MAX_CHANNELS) {
    return {
      result: {
        ...base,
        status: 'fail',
        detail: `The client holds ${held} channel(s); ${plan}, more than one OAuth client's ${MAX_CHANNELS}.`,
        fix: 'Follow fewer queues or users (stream.queues / stream.users), or split them between two OAuth clients.',
      },
      held,
    };
  }
  if (held + needed > MAX_CHANNELS) {
    return {
      result: {
        ...base,
        status: 'warn',
        detail:
          `The client already holds ${held} channel(s) (its other tokens: a running Switchboard, another tool); ` +
          `${plan}. Past ${MAX_CHANNELS} the platform evicts the least recently used, maybe a live one.`,
        fix:
          'If those channels are not this deployment’s own, stop what holds them or give this deployment its own OAuth ' +
          'client; unused channels expire 24 hours after they were made.',
      },
      held,
    };
  }
  return {
    result: {
      ...base,
      status: 'pass',
      detail: `The client holds ${held} of its ${MAX_CHANNELS} channels; ${plan}.`,
    },
    held,
  };
}

/** `topic-probe`: one channel, the plan's topics subscribed with `ignoreErrors`, the platform's verdict per topic. */
export async function probeTopics(
  ctx: DoctorContext,
  held: number | undefined,
): Promise<{ result: CheckResult; verdicts?: TopicVerdict[] }> {
  const base = { id: 'topic-probe', title: 'Topic probe channel' } as const;
  const topics = neededTopics(ctx).flatMap((t) => (t.concrete ? [t.concrete] : []));
  if (topics.length === 0) {
    return {
      result: { ...base, status: 'skip', detail: 'No concrete topic to subscribe (no queue or user found).' },
    };
  }
  if (held === undefined || held > MAX_HELD_FOR_PROBE) {
    return {
      result: {
        ...base,
        status: 'warn',
        detail:
          held === undefined
            ? 'Not created: the channels the client holds could not be counted.'
            : `Not created: the client holds ${held} channels; one more would leave no spare below the ${MAX_CHANNELS} the platform keeps.`,
        fix: 'Run --probe-topics again once fewer channels are held (unused ones expire 24 hours after they were made).',
      },
    };
  }
  const created = await ctx.prober.call<{ id?: string; expires?: string }>({
    method: 'POST',
    path: '/api/v2/notifications/channels',
    purpose: 'channel',
  });
  if (created.kind !== 'ok' || !created.body.id) {
    return {
      result: {
        ...base,
        status: 'warn',
        detail: `The probe channel could not be created: ${created.kind === 'ok' ? 'no id in the answer' : describeOutcome(created)}.`,
      },
    };
  }
  const channel = { id: created.body.id, ...(created.body.expires ? { expires: created.body.expires } : {}) };
  ctx.facts.leftBehind.push(channel);
  const leftBehind =
    `Left behind: channel ${channel.id}${channel.expires ? `, expiring ${channel.expires}` : ''} — the platform ` +
    `cannot delete a channel; it counts toward the client's ${MAX_CHANNELS} until it expires (24 hours).`;
  const subscribed = await ctx.prober.call<{
    entities?: Array<{
      id?: string;
      state?: string;
      rejectionReason?: string;
      missingPermissions?: string[];
    }>;
  }>({
    method: 'POST',
    path: `/api/v2/notifications/channels/${encodeURIComponent(channel.id)}/subscriptions`,
    query: { ignoreErrors: true },
    body: topics.map((id) => ({ id })),
    purpose: 'channel',
  });
  if (subscribed.kind !== 'ok') {
    return {
      result: {
        ...base,
        status: 'warn',
        detail: `Subscribing the probe channel failed: ${describeOutcome(subscribed)}. ${leftBehind}`,
      },
    };
  }
  const verdicts: TopicVerdict[] = topics.map((topic) => {
    const entity = subscribed.body.entities?.find((e) => e.id?.toLowerCase() === topic.toLowerCase());
    const rejected = entity?.state === 'Rejected';
    return {
      topic,
      permitted: entity !== undefined && !rejected,
      missingPermissions: entity?.missingPermissions ?? [],
      ...(entity?.rejectionReason ? { reason: entity.rejectionReason } : {}),
      ...(entity === undefined ? { reason: 'not in the answer' } : {}),
    };
  });
  const permitted = verdicts.filter((v) => v.permitted).length;
  return {
    result: {
      ...base,
      status: 'pass',
      detail: `Subscribed ${topics.length} topic(s), ${permitted} permitted (see topics). ${leftBehind}`,
    },
    verdicts,
  };
}
