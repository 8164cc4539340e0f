/**
 * The {@link NotificationsPort} over the platform client: the official SDK's API classes, sent through the
 * client's pipeline (token, shared rate budget, retries, coded errors), each with its budget purpose: channel calls
 * go first and may use the channel reserve — a stream waiting to reconnect is losing events —, wrap-up lookups are
 * live enrichment, gap recovery is backfill.
 */
import { GenesysApiError, MalformedInputError } from '../errors.js';
import { collectAll } from '../platform/paginate.js';
import type { PlatformClient } from '../platform/platform-client.js';
import { PURPOSE_HEADER } from '../platform/sdk-http-client.js';
import type {
  AnalyticsConversation,
  ChannelInfo,
  ConversationDetailsPage,
  ConversationDetailsQuery,
  DirectoryEntry,
  NotificationsPort,
  ReadPurpose,
  TopicSubscriptionResult,
} from './port.js';

export interface PlatformPortOptions {
  /** Page size for queue and user listings (default 100). */
  pageSize?: number;
}

/** Adapts a platform client to what the stream needs. */
export function createNotificationsPort(
  client: PlatformClient,
  options: PlatformPortOptions = {},
): NotificationsPort {
  const pageSize = options.pageSize ?? 100;
  const channel = { customHeaders: { [PURPOSE_HEADER]: 'channel' } };
  const backfill = { customHeaders: { [PURPOSE_HEADER]: 'backfill' } };
  const forPurpose = (purpose: ReadPurpose) => ({ customHeaders: { [PURPOSE_HEADER]: purpose } });

  return {
    async createChannel(): Promise<ChannelInfo> {
      const created = await client.notifications.postNotificationsChannels(channel);
      if (!created?.id || !created.connectUri) {
        throw new MalformedInputError('the platform created a notification channel without id or connectUri');
      }
      return { id: created.id, connectUri: created.connectUri, expires: created.expires };
    },

    async channelExists(channelId: string): Promise<boolean> {
      try {
        await client.notifications.headNotificationsChannel(channelId, channel);
        return true;
      } catch (error) {
        if (error instanceof GenesysApiError && error.status === 404) return false;
        throw error;
      }
    },

    async replaceSubscriptions(
      channelId: string,
      topics: readonly string[],
    ): Promise<TopicSubscriptionResult[]> {
      const reply = await client.notifications.putNotificationsChannelSubscriptions(
        channelId,
        topics.map((id) => ({ id })),
        { ignoreErrors: true, ...channel },
      );
      return (reply?.entities ?? []).flatMap((entity): TopicSubscriptionResult[] =>
        entity.id
          ? [
              {
                topic: entity.id,
                state: entity.state === 'Rejected' ? 'Rejected' : 'Permitted',
                ...(entity.rejectionReason ? { rejectionReason: entity.rejectionReason } : {}),
                missingPermissions: entity.missingPermissions ?? [],
              },
            ]
          : [],
      );
    },

    async listQueues(): Promise<DirectoryEntry[]> {
      const queues = await collectAll((page) => client.routing.getRoutingQueues(page), { pageSize });
      return directory(queues);
    },

    async listUsers(): Promise<DirectoryEntry[]> {
      const users = await collectAll((page) => client.users.getUsers(page), { pageSize });
      return directory(users);
    },

    async getConversation(
      conversationId: string,
      purpose: ReadPurpose = 'backfill',
    ): Promise<Record<string, unknown>> {
      return (await client.conversations.getConversation(
        conversationId,
        forPurpose(purpose),
      )) as unknown as Record<string, unknown>;
    },

    async getConversationDetails(
      conversationIds: readonly string[],
      purpose: ReadPurpose,
    ): Promise<AnalyticsConversation[]> {
      const reply = await client.analytics.getAnalyticsConversationsDetails({
        id: [...conversationIds],
        ...forPurpose(purpose),
      });
      return (reply?.conversations ?? []) as unknown as AnalyticsConversation[];
    },

    async queryConversationDetails(query: ConversationDetailsQuery): Promise<ConversationDetailsPage> {
      const body = query as unknown as Parameters<
        PlatformClient['analytics']['postAnalyticsConversationsDetailsQuery']
      >[0];
      return (await client.analytics.postAnalyticsConversationsDetailsQuery(
        body,
        backfill,
      )) as ConversationDetailsPage;
    },

    tokenExpiresAt(): number | undefined {
      return client.tokens.current()?.expiresAt;
    },

    async refreshToken(): Promise<void> {
      await client.tokens.refresh();
    },
  };
}

function directory(entities: Array<{ id?: string; name?: string }>): DirectoryEntry[] {
  return entities.flatMap((e) => (e.id ? [{ id: e.id, ...(e.name ? { name: e.name } : {}) }] : []));
}
