/**
 * A NotificationsPort over plain fetch, for tests that talk to the loopback {@link FakePlatform}: no token (the double
 * asks for none), and no user listing (the double has none).
 */
import { GenesysApiError } from '../../../src/errors.js';
import { collectAll } from '../../../src/platform/paginate.js';
import type {
  AnalyticsConversation,
  ChannelInfo,
  ConversationDetailsPage,
  ConversationDetailsQuery,
  DirectoryEntry,
  NotificationsPort,
  TopicSubscriptionResult,
} from '../../../src/stream/port.js';

export class HttpPort implements NotificationsPort {
  constructor(private readonly baseUrl: string) {}

  async createChannel(): Promise<ChannelInfo> {
    const body = (await this.call('POST', '/api/v2/notifications/channels')) as ChannelInfo;
    return { id: body.id, connectUri: body.connectUri, expires: body.expires };
  }

  async channelExists(channelId: string): Promise<boolean> {
    try {
      await this.call('HEAD', `/api/v2/notifications/channels/${channelId}`);
      return true;
    } catch (error) {
      if (error instanceof GenesysApiError && error.status === 404) return false;
      throw error;
    }
  }

  async replaceSubscriptions(
    channelId: string,
    topics: readonly string[],
  ): Promise<TopicSubscriptionResult[]> {
    const body = (await this.call(
      'PUT',
      `/api/v2/notifications/channels/${channelId}/subscriptions?ignoreErrors=true`,
      topics.map((id) => ({ id })),
    )) as {
      entities?: Array<{
        id: string;
        state: string;
        rejectionReason?: string;
        missingPermissions?: string[];
      }>;
    };
    return (body.entities ?? []).map((e) => ({
      topic: e.id,
      state: e.state === 'Rejected' ? 'Rejected' : 'Permitted',
      ...(e.rejectionReason ? { rejectionReason: e.rejectionReason } : {}),
      missingPermissions: e.missingPermissions ?? [],
    }));
  }

  listQueues(): Promise<DirectoryEntry[]> {
    return collectAll(
      ({ pageNumber, pageSize }) =>
        this.call('GET', `/api/v2/routing/queues?pageNumber=${pageNumber}&pageSize=${pageSize}`) as Promise<{
          entities: DirectoryEntry[];
        }>,
      { pageSize: 10 },
    );
  }

  listUsers(): Promise<DirectoryEntry[]> {
    return Promise.reject(new Error('the platform double lists no users'));
  }

  async getConversation(conversationId: string): Promise<Record<string, unknown>> {
    return (await this.call('GET', `/api/v2/conversations/${conversationId}`)) as Record<string, unknown>;
  }

  async getConversationDetails(conversationIds: readonly string[]): Promise<AnalyticsConversation[]> {
    const query = conversationIds.map((id) => `id=${encodeURIComponent(id)}`).join('&');
    const body = (await this.call('GET', `/api/v2/analytics/conversations/details?${query}`)) as {
      conversations?: AnalyticsConversation[];
    };
    return body.conversations ?? [];
  }

  async queryConversationDetails(query: ConversationDetailsQuery): Promise<ConversationDetailsPage> {
    return (await this.call(
      'POST',
      '/api/v2/analytics/conversations/details/query',
      query,
    )) as ConversationDetailsPage;
  }

  tokenExpiresAt(): number | undefined {
    return undefined;
  }

  async refreshToken(): Promise<void> {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = method === 'HEAD' ? '' : await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = (parsed ?? {}) as { code?: string };
      throw new GenesysApiError(`${method} ${path} failed with ${response.status}`, {
        status: response.status,
        platformCode: error.code,
        correlationId: response.headers.get('inin-correlation-id') ?? undefined,
        method,
        path: path.split('?')[0]!,
        messageParams: undefined,
        body: parsed,
        retryAfterSeconds: undefined,
      });
    }
    return parsed;
  }
}
