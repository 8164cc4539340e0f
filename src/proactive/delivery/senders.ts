/**
 * The business side of each agentless channel: an SMS number provisioned in the org, the WhatsApp integration,
 * the Open Messaging integration. Configured senders are checked against the org's listings; missing ones are
 * discovered from them (the first active entry). Listings are read once.
 */
import { collectAll, type Models } from '../../platform/index.js';
import { isIntegrationActive, isSmsNumberActive } from '../../spellings.js';
import type { PlatformRequester } from '../platform-port.js';
import { describeForbidden, isForbidden } from '../platform-port.js';
import type { AgentlessChannel } from '../rules/schema.js';
import type { ProactiveSettings } from '../rules/types.js';

/** A usable sender, or why the channel cannot be used. */
export type SenderLookup =
  | { ok: true; fromAddress: string }
  | { ok: false; reasonCode: 'sender_unavailable' | 'missing_permission'; reason: string };

interface Listing {
  path: string;
  /** The sender value of an entry, when it is active. */
  value: (entity: Record<string, unknown>) => string | undefined;
  what: string;
}

const LISTINGS: Record<AgentlessChannel, Listing> = {
  sms: {
    path: '/api/v2/routing/sms/phonenumbers',
    value: (e) => {
      const n = e as unknown as Models.SmsPhoneNumber;
      const active = isSmsNumberActive(n.phoneNumberStatus);
      const sms = n.supportsSms !== false && (n.capabilities === undefined || n.capabilities.includes('sms'));
      return active && sms ? n.phoneNumber : undefined;
    },
    what: 'SMS number provisioned in this org (GET /api/v2/routing/sms/phonenumbers)',
  },
  whatsapp: {
    path: '/api/v2/conversations/messaging/integrations/whatsapp',
    value: (e) =>
      isIntegrationActive(e.status as string | undefined) ? (e.id as string | undefined) : undefined,
    what: 'active WhatsApp integration of this org (GET /api/v2/conversations/messaging/integrations/whatsapp)',
  },
  open: {
    path: '/api/v2/conversations/messaging/integrations/open',
    value: (e) =>
      isIntegrationActive(e.status as string | undefined) ? (e.id as string | undefined) : undefined,
    what: 'active Open Messaging integration of this org (GET /api/v2/conversations/messaging/integrations/open)',
  },
};

/** Resolves and validates the sender of each channel. */
export class SenderDirectory {
  private readonly results = new Map<AgentlessChannel, SenderLookup>();
  private readonly pending = new Map<AgentlessChannel, Promise<SenderLookup & { transient?: boolean }>>();

  constructor(
    private readonly client: PlatformRequester,
    private readonly configured: ProactiveSettings['senders'],
  ) {}

  /** The sender of a channel; a definite answer is kept, a transient failure is asked again next time. */
  async sender(channel: AgentlessChannel): Promise<SenderLookup> {
    const known = this.results.get(channel);
    if (known) return known;
    let pending = this.pending.get(channel);
    if (!pending) {
      pending = this.lookup(channel).finally(() => this.pending.delete(channel));
      this.pending.set(channel, pending);
    }
    const { transient, ...result } = await pending;
    if (!transient) this.results.set(channel, result);
    return result;
  }

  /** The Open Messaging integration id, when there is a usable one (addresses on contacts refer to it). */
  async openIntegrationId(): Promise<string | undefined> {
    const result = await this.sender('open');
    return result.ok ? result.fromAddress : undefined;
  }

  private configuredValue(channel: AgentlessChannel): string | undefined {
    if (channel === 'sms') return this.configured.sms?.fromAddress;
    return this.configured[channel]?.integrationId;
  }

  private async lookup(channel: AgentlessChannel): Promise<SenderLookup & { transient?: boolean }> {
    const listing = LISTINGS[channel];
    let values: string[];
    try {
      const entities = await collectAll<Record<string, unknown>>(async ({ pageNumber, pageSize }) => {
        const reply = await this.client.request<{ entities?: Record<string, unknown>[]; pageCount?: number }>(
          {
            method: 'GET',
            path: listing.path,
            query: { pageNumber, pageSize },
          },
        );
        return reply.body ?? {};
      });
      values = entities.map(listing.value).filter((v): v is string => typeof v === 'string' && v !== '');
    } catch (error) {
      if (isForbidden(error)) {
        return { ok: false, reasonCode: 'missing_permission', reason: describeForbidden(error).reason };
      }
      return {
        ok: false,
        reasonCode: 'sender_unavailable',
        reason: `could not read the ${listing.what}: ${(error as Error).message}`,
        transient: true,
      };
    }
    const wanted = this.configuredValue(channel);
    if (wanted !== undefined) {
      const normalise = (v: string) => (channel === 'sms' ? v.replace(/[^\d+]/g, '') : v.toLowerCase());
      return values.some((v) => normalise(v) === normalise(wanted))
        ? { ok: true, fromAddress: wanted }
        : {
            ok: false,
            reasonCode: 'sender_unavailable',
            reason: `settings.senders.${channel} (${wanted}) is not an ${listing.what}`,
          };
    }
    const first = values[0];
    return first
      ? { ok: true, fromAddress: first }
      : { ok: false, reasonCode: 'sender_unavailable', reason: `the org has no ${listing.what}` };
  }
}
