/**
 * The Notification API's REST side: `/api/v2/notifications/channels[...]` and `/availabletopics`. Any
 * authenticated caller may use it; topic permissions are checked per topic when subscribing.
 */
import type { TokenStore } from '../auth/tokens.js';
import {
  type CallerIdentity,
  type EmulatorRequest,
  type EmulatorResponse,
  platformError,
  type Router,
} from '../router.js';
import type { EmulatorSettings } from '../settings.js';
import type { NotificationChannel } from './channel.js';
import type { NotificationHub } from './hub.js';
import {
  type ChannelTopicEntity,
  planSubscriptions,
  readTopicList,
  type SubscriptionPlan,
  tooManyTopics,
} from './subscriptions.js';
import { availableTopics } from './topics.js';

type RouteSettings = Pick<EmulatorSettings, 'maxTopicsPerChannel' | 'maxTopicNameLength' | 'publicHost'>;

/** Host for `connectUri`: the configured public host, else the host the client used. */
function streamingHost(request: EmulatorRequest, settings: RouteSettings, fallback: () => string): string {
  return settings.publicHost ?? request.headers.host ?? fallback();
}

function channelNotFound(channelId: string): EmulatorResponse {
  return platformError(404, 'not.found', `Channel ${channelId} was not found.`, { channelId });
}

/** Registers the notification routes on the emulator's router. */
export function registerNotificationRoutes(
  router: Router,
  hub: NotificationHub,
  tokens: TokenStore,
  settings: RouteSettings,
  localHost: () => string,
  now: () => number = Date.now,
): void {
  /** The caller's own live channel, or the 404 to answer. */
  const ownChannel = (request: EmulatorRequest): NotificationChannel | EmulatorResponse => {
    const channelId = request.params.channelId!;
    const channel = hub.channels.get(channelId);
    const caller = request.caller!;
    if (!channel || channel.owner.clientId !== caller.clientId || channel.owner.userId !== caller.userId) {
      return channelNotFound(channelId);
    }
    return channel;
  };

  router.add('POST', '/api/v2/notifications/channels', (request) => {
    const caller = request.caller!;
    const token = tokens.getById(caller.tokenId);
    const owner = {
      clientId: caller.clientId,
      tokenId: caller.tokenId,
      ...(caller.userId ? { userId: caller.userId } : {}),
    };
    const channel = hub.createChannel(owner, token?.expiresAt ?? Number.POSITIVE_INFINITY);
    return { status: 200, body: channel.describe(streamingHost(request, settings, localHost)) };
  });

  router.add('GET', '/api/v2/notifications/channels', (request) => {
    const caller = request.caller!;
    const acrossTokens = request.query.get('includechannels')?.toLowerCase() === 'oauthclient';
    const host = streamingHost(request, settings, localHost);
    const entities = hub.channels
      .listByOwner(caller)
      .filter((channel) => acrossTokens || channel.owner.tokenId === caller.tokenId)
      // Channels of other tokens are shown to exist, without their ids.
      .map((channel) =>
        channel.owner.tokenId === caller.tokenId
          ? channel.describe(host)
          : { expires: new Date(channel.expiresAt).toISOString() },
      );
    return { status: 200, body: { entities } };
  });

  router.add('HEAD', '/api/v2/notifications/channels/{channelId}', (request) => {
    const found = ownChannel(request);
    return 'status' in found ? { status: 404 } : { status: 200 };
  });

  router.add('GET', '/api/v2/notifications/channels/{channelId}/subscriptions', (request) => {
    const found = ownChannel(request);
    if ('status' in found) return found;
    found.lastUsedAt = now();
    return { status: 200, body: { entities: [...found.topics.values()].map((id) => ({ id })) } };
  });

  const changeSubscriptions = (request: EmulatorRequest, replace: boolean): EmulatorResponse => {
    const found = ownChannel(request);
    if ('status' in found) return found;
    const requested = readTopicList(request.body);
    if (!requested) {
      return platformError(
        400,
        'bad.request',
        'The request body must be an array of topics: [{"id": "<topic>"}].',
      );
    }
    const ignoreErrors = request.query.get('ignoreErrors')?.toLowerCase() === 'true';
    const plan = planSubscriptions(requested, subscriberOf(request.caller!), settings, ignoreErrors);
    if ('error' in plan) return plan.error;
    const resulting = countResulting(found, plan, replace);
    if (resulting > settings.maxTopicsPerChannel)
      return tooManyTopics(resulting, settings.maxTopicsPerChannel);
    if (replace) hub.channels.clearTopics(found);
    hub.channels.addTopics(found, plan.permitted);
    found.lastUsedAt = now();
    return { status: 200, body: { entities: listing(found, plan, ignoreErrors) } };
  };

  router.add('POST', '/api/v2/notifications/channels/{channelId}/subscriptions', (request) =>
    changeSubscriptions(request, false),
  );
  router.add('PUT', '/api/v2/notifications/channels/{channelId}/subscriptions', (request) =>
    changeSubscriptions(request, true),
  );
  router.add('DELETE', '/api/v2/notifications/channels/{channelId}/subscriptions', (request) => {
    const found = ownChannel(request);
    if ('status' in found) return found;
    hub.channels.clearTopics(found);
    found.lastUsedAt = now();
    return { status: 204 };
  });

  router.add('GET', '/api/v2/notifications/availabletopics', (request) => {
    const expand = new Set(request.query.getAll('expand').flatMap((v) => v.split(',').map((e) => e.trim())));
    return { status: 200, body: availableTopics(expand) };
  });
}

function subscriberOf(caller: CallerIdentity): { permissions: ReadonlySet<string>; userId?: string } {
  return caller.userId === undefined
    ? { permissions: caller.permissions }
    : { permissions: caller.permissions, userId: caller.userId };
}

/** How many distinct topics the channel would hold after applying the plan. */
function countResulting(channel: NotificationChannel, plan: SubscriptionPlan, replace: boolean): number {
  const keys = new Set(replace ? [] : channel.topics.keys());
  for (const topic of plan.permitted) keys.add(topic.toLowerCase());
  return keys.size;
}

/** The response listing: the channel's topics, plus per-topic states and rejections with `ignoreErrors`. */
function listing(
  channel: NotificationChannel,
  plan: SubscriptionPlan,
  ignoreErrors: boolean,
): ChannelTopicEntity[] {
  const current: ChannelTopicEntity[] = [...channel.topics.values()].map((id) =>
    ignoreErrors ? { id, state: 'Permitted' } : { id },
  );
  return ignoreErrors ? current.concat(plan.rejected) : current;
}
