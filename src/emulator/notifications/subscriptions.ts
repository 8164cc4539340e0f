/**
 * Judging a subscription request (`POST`/`PUT .../subscriptions`): body shape, topic syntax, name length,
 * per-topic permissions and the per-channel topic limit, with the platform's all-or-nothing rule unless
 * `ignoreErrors=true` asks for a per-topic report instead.
 */
import { type EmulatorResponse, platformError } from '../router.js';
import { expandTopic, judgeTopic, type Subscriber, type TopicVerdict } from './topics.js';

/** One entry of a `ChannelTopicEntityListing`. */
export interface ChannelTopicEntity {
  id: string;
  state?: 'Permitted' | 'Rejected';
  rejectionReason?: string;
  missingPermissions?: string[];
}

/** A judged request: the topics to apply and the rejected ones to report. */
export interface SubscriptionPlan {
  permitted: string[];
  rejected: ChannelTopicEntity[];
}

export interface SubscriptionLimits {
  maxTopicsPerChannel: number;
  maxTopicNameLength: number;
}

/** Reads `[{"id": topic}, ...]`; undefined when the body is not that. */
export function readTopicList(body: unknown): string[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const topics: string[] = [];
  for (const entry of body) {
    if (!entry || typeof entry !== 'object') return undefined;
    const id = (entry as { id?: unknown }).id;
    if (typeof id !== 'string' || id.length === 0) return undefined;
    topics.push(id);
  }
  return topics;
}

/**
 * Judges the requested topics. Returns the error response to send (400 for an unknown, reserved or too long
 * topic, 403 for a missing permission) unless `ignoreErrors`, in which case rejected topics are reported.
 */
export function planSubscriptions(
  requested: readonly string[],
  subscriber: Subscriber,
  limits: SubscriptionLimits,
  ignoreErrors: boolean,
): SubscriptionPlan | { error: EmulatorResponse } {
  const verdicts: TopicVerdict[] = [];
  for (const name of requested) {
    if (name.length > limits.maxTopicNameLength) {
      verdicts.push({
        id: name,
        rejection: {
          kind: 'invalid',
          reason: `Topic name is longer than ${limits.maxTopicNameLength} characters`,
        },
      });
      continue;
    }
    for (const topic of expandTopic(name))
      verdicts.push(judgeTopic(topic, subscriber, limits.maxTopicNameLength));
  }
  if (!ignoreErrors) {
    const invalid = verdicts.find((verdict) => verdict.rejection?.kind === 'invalid');
    if (invalid?.rejection) {
      return {
        error: platformError(400, 'bad.request', `Invalid topic ${invalid.id}: ${invalid.rejection.reason}`, {
          topic: invalid.id,
        }),
      };
    }
    const unpermitted = verdicts.find((verdict) => verdict.rejection?.kind === 'permission');
    if (unpermitted?.rejection?.kind === 'permission') {
      const permissions = unpermitted.rejection.missingPermissions.join(', ');
      return {
        error: platformError(
          403,
          'missing.permissions',
          `Unable to subscribe to ${unpermitted.id}. You are missing the following permission(s): [${permissions}]`,
          { topic: unpermitted.id, permissions },
        ),
      };
    }
  }
  const permitted: string[] = [];
  const rejected: ChannelTopicEntity[] = [];
  for (const verdict of verdicts) {
    if (!verdict.rejection) {
      permitted.push(verdict.id);
      continue;
    }
    rejected.push({
      id: verdict.id,
      state: 'Rejected',
      rejectionReason: verdict.rejection.reason,
      missingPermissions: verdict.rejection.kind === 'permission' ? verdict.rejection.missingPermissions : [],
    });
  }
  return { permitted, rejected };
}

/** The 400 for a channel that would hold more topics than allowed. */
export function tooManyTopics(count: number, max: number): EmulatorResponse {
  return platformError(
    400,
    'bad.request',
    `A channel can be subscribed to at most ${max} topics; this request would make ${count}.`,
    { limit: String(max), count: String(count) },
  );
}
