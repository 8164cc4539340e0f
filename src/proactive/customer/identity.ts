/**
 * Who a customer is and where they can be reached: `GET /api/v2/externalcontacts/contacts/{id}` read into the
 * address of each agentless channel (E.164 phone for SMS, WhatsApp number as digits without `+`, Open Messaging
 * id), plus consent and time zone from the contact's attributes (the platform has no field for either; orgs keep
 * them in custom fields, whose paths are settings).
 */
import type { Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';
import { isNotFound } from '../platform-port.js';
import { isValidTimeZone } from './local-time.js';

/** What the engine knows of a customer. Addresses never leave this object except towards the platform. */
export interface CustomerProfile {
  contactId: string;
  firstName?: string;
  lastName?: string;
  addresses: { sms?: string; whatsapp?: string; open?: string };
  /** IANA time zone from the contact's attribute, when it holds a valid one. */
  timeZone?: string;
  /** True when the contact's opt-out attribute says so. */
  optedOut: boolean;
}

export interface IdentityResolverOptions {
  client: PlatformRequester;
  /** Dotted paths into the contact, e.g. `customFields.marketingOptOut_checkbox`. */
  attributes: { optOut: string; timeZone: string };
  /** The Open Messaging integration whose ids count as the contact's Open Messaging address. */
  openIntegrationId: () => Promise<string | undefined>;
  cacheMs: number;
  now: () => number;
}

const E164 = /^\+[1-9]\d{6,14}$/;

function attribute(contact: unknown, path: string): unknown {
  let node: unknown = contact;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Opt-out attribute values that mean "do not contact". */
function truthy(value: unknown): boolean {
  if (value === true || value === 1) return true;
  return (
    typeof value === 'string' &&
    ['true', 'yes', 'y', '1', 'opted-out', 'optout'].includes(value.trim().toLowerCase())
  );
}

function e164(phone: Models.PhoneNumber | undefined): string | undefined {
  const candidate = phone?.e164 ?? phone?.display?.replace(/[\s().-]/g, '');
  return candidate && E164.test(candidate) ? candidate : undefined;
}

/** Reads an external contact into a profile. */
export function profileFromContact(
  contact: Models.ExternalContact,
  attributes: IdentityResolverOptions['attributes'],
  openIntegrationId: string | undefined,
): CustomerProfile {
  const profile: CustomerProfile = {
    contactId: contact.id ?? '',
    addresses: {},
    optedOut: truthy(attribute(contact, attributes.optOut)),
  };
  if (contact.firstName) profile.firstName = contact.firstName;
  if (contact.lastName) profile.lastName = contact.lastName;
  const sms = [contact.cellPhone, contact.otherPhone, contact.homePhone, contact.workPhone]
    .filter((p) => p && p.acceptsSMS !== false)
    .map(e164)
    .find((p) => p !== undefined);
  if (sms) profile.addresses.sms = sms;
  const whatsapp = e164(contact.whatsAppId?.phoneNumber);
  if (whatsapp) profile.addresses.whatsapp = whatsapp.slice(1);
  const openId = (contact.externalIds ?? []).find((id) =>
    openIntegrationId
      ? id.externalSource?.id === openIntegrationId
      : /open messaging/i.test(id.externalSource?.name ?? ''),
  )?.value;
  if (openId) profile.addresses.open = openId;
  const zone = attribute(contact, attributes.timeZone);
  if (typeof zone === 'string' && isValidTimeZone(zone)) profile.timeZone = zone;
  return profile;
}

/** Resolves external contact ids to profiles, with a short cache. */
export class IdentityResolver {
  private readonly cache = new Map<string, { profile: CustomerProfile | undefined; at: number }>();

  constructor(private readonly options: IdentityResolverOptions) {}

  /** The customer's profile, or undefined when the contact does not exist (any more). */
  async resolve(contactId: string): Promise<CustomerProfile | undefined> {
    const now = this.options.now();
    const cached = this.cache.get(contactId);
    if (cached && now - cached.at <= this.options.cacheMs) return cached.profile;
    let profile: CustomerProfile | undefined;
    try {
      const reply = await this.options.client.request<Models.ExternalContact>({
        method: 'GET',
        path: `/api/v2/externalcontacts/contacts/${encodeURIComponent(contactId)}`,
      });
      profile = profileFromContact(
        { ...reply.body, id: reply.body?.id ?? contactId },
        this.options.attributes,
        await this.options.openIntegrationId(),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (this.options.cacheMs > 0) {
      this.cache.set(contactId, { profile, at: now });
      if (this.cache.size > 50_000) this.cache.delete(this.cache.keys().next().value!);
    }
    return profile;
  }
}
