/**
 * Who the customer is and how their leg looks on each channel: addresses, identity (an external contact, or an
 * anonymous guest) and the flow leg that greets them.
 */
import type { Channel, LegSpec } from './model.js';
import { AGENT_LINES, CUSTOMER_LINES, EMAIL_SUBJECTS } from './names.js';
import type { Org, OrgContact } from './org.js';
import type { Random } from './random.js';

/** The number customers dial. */
export const VOICE_DNIS = '+18885550100';

/** How likely a customer on each channel is a known (identity-resolved or authenticated) external contact. */
const KNOWN_CONTACT_PROBABILITY: Record<Channel, number> = {
  voice: 0.5,
  webmessaging: 0.35,
  sms: 0.6,
  whatsapp: 0.8,
  open: 0.7,
  email: 0.6,
  callback: 0.6,
};

/** Chooses a customer for a channel: the given contact, a random suitable contact, or nobody (anonymous). */
export function chooseContact(
  rng: Random,
  org: Org,
  channel: Channel,
  requested?: OrgContact,
  anonymous?: boolean,
): OrgContact | undefined {
  if (requested) return requested;
  if (anonymous || !rng.chance(KNOWN_CONTACT_PROBABILITY[channel])) return undefined;
  const suitable = org.contacts.filter((c) =>
    channel === 'whatsapp' ? c.whatsAppNumber : channel === 'open' ? c.openMessagingId : true,
  );
  return suitable.length > 0 ? rng.pick(suitable) : undefined;
}

function randomUsNumber(rng: Random): string {
  return `+1${rng.pick(['303', '404', '503', '702', '919'])}55501${rng.digits(2)}`;
}

/** The customer leg for a channel. WhatsApp addresses are digits without `+`, as the platform writes them. */
export function customerLeg(
  rng: Random,
  org: Org,
  channel: Channel,
  contact: OrgContact | undefined,
  ids: { id: string; commId: string },
): LegSpec {
  const name = contact ? `${contact.firstName} ${contact.lastName}` : undefined;
  const base: LegSpec = { ...ids, purpose: 'customer', state: 'connected', direction: 'inbound' };
  if (name) base.name = name;
  if (contact) base.externalContactId = contact.id;
  switch (channel) {
    case 'voice': {
      const ani = contact?.phone ?? randomUsNumber(rng);
      return { ...base, address: `tel:${ani}`, comm: { self: `tel:${ani}`, other: `tel:${VOICE_DNIS}` } };
    }
    case 'callback': {
      const number = contact?.phone ?? randomUsNumber(rng);
      return {
        ...base,
        direction: 'outbound',
        address: `tel:${number}`,
        name: name ?? 'Website visitor',
        comm: { callbackNumbers: [number], callbackUserName: name ?? 'Website visitor' },
      };
    }
    case 'email': {
      const address = contact?.email ?? `customer.${rng.digits(5)}@mail.example.org`;
      return { ...base, address, comm: { subject: rng.pick(EMAIL_SUBJECTS), messagesSent: 0 } };
    }
    case 'webmessaging': {
      // Guests are known only by the Messenger session; authenticated customers also by their contact.
      const session = rng.uuid();
      return {
        ...base,
        address: session,
        comm: { fromAddress: session, toAddress: org.webMessagingDeploymentId },
      };
    }
    case 'sms': {
      const from = contact?.phone ?? randomUsNumber(rng);
      return {
        ...base,
        address: from,
        comm: { fromAddress: from, toAddress: rng.pick(org.smsNumbers).phoneNumber },
      };
    }
    case 'whatsapp': {
      const from = (contact?.whatsAppNumber ?? randomUsNumber(rng)).replace(/^\+/, '');
      const to = (org.whatsappIntegration.phoneNumber ?? '').replace(/^\+/, '');
      return { ...base, address: from, comm: { fromAddress: from, toAddress: to } };
    }
    case 'open': {
      const from = contact?.openMessagingId ?? `visitor-${rng.uuid().slice(0, 13)}`;
      return { ...base, address: from, comm: { fromAddress: from, toAddress: org.openIntegration.id } };
    }
  }
}

/** The flow leg that first takes the conversation (none for callbacks, which are queued directly). */
export function flowLeg(channel: Channel, ids: { id: string; commId: string }): LegSpec | undefined {
  if (channel === 'callback') return undefined;
  if (channel === 'voice')
    return { ...ids, purpose: 'ivr', state: 'connected', direction: 'inbound', name: 'Main IVR' };
  return {
    ...ids,
    purpose: 'workflow',
    state: 'connected',
    direction: 'inbound',
    name: channel === 'email' ? 'Inbound Email Flow' : 'Inbound Message Flow',
  };
}

export function customerLine(rng: Random): string {
  return rng.pick(CUSTOMER_LINES);
}

export function agentLine(rng: Random): string {
  return rng.pick(AGENT_LINES);
}
