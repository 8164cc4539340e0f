/**
 * The emulated org: agents, queues, wrap-up codes, external contacts, SMS numbers and messaging integrations,
 * generated deterministically from the world's seed.
 */
import {
  COUNTRIES,
  DEPARTMENTS,
  FIRST_NAMES,
  LAST_NAMES,
  QUEUE_NAMES,
  TITLES,
  WRAPUP_CODE_NAMES,
} from './names.js';
import type { Random } from './random.js';
import type { WorldSettings } from './settings.js';

export interface OrgUser {
  id: string;
  name: string;
  email: string;
  department: string;
  title: string;
  queueIds: string[];
  dateCreated: number;
}

export interface OrgQueue {
  id: string;
  name: string;
  description: string;
  memberIds: string[];
  dateCreated: number;
}

export interface OrgWrapupCode {
  id: string;
  name: string;
  dateCreated: number;
}

/**
 * An external contact. Consent is carried as the custom field `marketingOptOut_checkbox` (true = opted out of
 * proactive contact) and the contact's time zone as `timeZone_text` (IANA name), as an org would model them in a
 * contact schema; the platform itself has no consent or time zone field on contacts.
 */
export interface OrgContact {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  /** Mobile number, E.164. */
  phone: string;
  countryCode: string;
  city: string;
  timeZone: string;
  /** WhatsApp number, E.164, when the contact uses WhatsApp (their mobile number). */
  whatsAppNumber?: string;
  /** The contact's id on the business's Open Messaging channel (e.g. its own web widget). */
  openMessagingId?: string;
  optedOut: boolean;
  createDate: number;
}

export interface OrgSmsNumber {
  id: string;
  name: string;
  phoneNumber: string;
  countryCode: string;
  dateCreated: number;
  /** `phoneNumberStatus` as the platform spells it (`ACTIVE`, `PENDING`, `PORTING`, ...). */
  status: string;
}

export interface OrgMessagingIntegration {
  id: string;
  name: string;
  kind: 'whatsapp' | 'open';
  /** WhatsApp business number (E.164). */
  phoneNumber?: string;
  /** Open Messaging: where the platform would post outbound messages. */
  webhookUrl?: string;
  dateCreated: number;
}

export interface Org {
  id: string;
  name: string;
  division: { id: string; name: string };
  users: OrgUser[];
  queues: OrgQueue[];
  wrapupCodes: OrgWrapupCode[];
  contacts: OrgContact[];
  smsNumbers: OrgSmsNumber[];
  whatsappIntegration: OrgMessagingIntegration;
  openIntegration: OrgMessagingIntegration;
  /** The web messaging (Messenger) deployment customers arrive through. */
  webMessagingDeploymentId: string;
  /** Contacts with several authenticated web messaging conversations in the seeded history. */
  returningWebMessagingContactIds: string[];
  userById: ReadonlyMap<string, OrgUser>;
  queueById: ReadonlyMap<string, OrgQueue>;
  wrapupCodeById: ReadonlyMap<string, OrgWrapupCode>;
  contactById: ReadonlyMap<string, OrgContact>;
}

const DAY_MS = 86_400_000;

/** Generates the org for a seed. `createdAt` anchors creation dates (a year before the world's start). */
export function generateOrg(settings: WorldSettings, random: Random, createdAt: number): Org {
  const rng = random.fork('org');
  const born = () => createdAt - 365 * DAY_MS + rng.int(0, 180) * DAY_MS;

  const queues: OrgQueue[] = [];
  for (let i = 0; i < settings.queues; i++) {
    const base = QUEUE_NAMES[i % QUEUE_NAMES.length]!;
    const name = i < QUEUE_NAMES.length ? base : `${base} ${Math.floor(i / QUEUE_NAMES.length) + 1}`;
    queues.push({ id: rng.uuid(), name, description: `${name} queue`, memberIds: [], dateCreated: born() });
  }

  const users: OrgUser[] = [];
  const usedNames = new Set<string>();
  for (let i = 0; i < settings.agents; i++) {
    let name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
    // A big org has more agents than first × last names: past a few tries, a number makes the name unique.
    for (let tries = 0; usedNames.has(name); tries++) {
      name = `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}${tries >= 20 ? ` ${usedNames.size}` : ''}`;
    }
    usedNames.add(name);
    const user: OrgUser = {
      id: rng.uuid(),
      name,
      email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@example.com`,
      department: rng.pick(DEPARTMENTS),
      title: rng.pick(TITLES),
      queueIds: [],
      dateCreated: born(),
    };
    // Every queue gets members round-robin; some agents also serve one or two more queues.
    const primary = queues[i % queues.length]!;
    const extra = rng.int(0, Math.min(2, queues.length - 1));
    const served = [primary];
    while (served.length < 1 + extra) {
      const queue = rng.pick(queues);
      if (!served.includes(queue)) served.push(queue);
    }
    for (const queue of served) {
      queue.memberIds.push(user.id);
      user.queueIds.push(queue.id);
    }
    users.push(user);
  }

  const wrapupCodes: OrgWrapupCode[] = WRAPUP_CODE_NAMES.map((name) => ({
    id: rng.uuid(),
    name,
    dateCreated: born(),
  }));

  const contacts = generateContacts(settings.contacts, rng, born);
  const smsNumbers: OrgSmsNumber[] = ['+18885550190', '+18885550191'].map((phoneNumber, i) => ({
    id: rng.uuid(),
    name: i === 0 ? 'Main SMS line' : 'Notifications SMS line',
    phoneNumber,
    countryCode: 'US',
    dateCreated: born(),
    status: 'ACTIVE',
  }));
  const whatsappIntegration: OrgMessagingIntegration = {
    id: rng.uuid(),
    name: 'WhatsApp Business',
    kind: 'whatsapp',
    phoneNumber: '+18885550192',
    dateCreated: born(),
  };
  const openIntegration: OrgMessagingIntegration = {
    id: rng.uuid(),
    name: 'Website widget (Open Messaging)',
    kind: 'open',
    webhookUrl: 'https://widget.example.com/genesys/open-messaging',
    dateCreated: born(),
  };

  // Returning web messaging customers: reachable on at least one agentless channel, one of them opted out.
  const reachable = contacts.filter((c) => c.whatsAppNumber || c.openMessagingId);
  const returning = reachable.slice(0, Math.min(8, Math.max(1, Math.floor(contacts.length / 6))));
  const optedOutReturning = returning.at(-1);
  if (optedOutReturning && returning.length > 2) optedOutReturning.optedOut = true;

  return {
    id: rng.uuid(),
    name: 'Switchboard Emulated Org',
    division: { id: rng.uuid(), name: 'Home' },
    users,
    queues,
    wrapupCodes,
    contacts,
    smsNumbers,
    whatsappIntegration,
    openIntegration,
    webMessagingDeploymentId: rng.uuid(),
    returningWebMessagingContactIds: returning.map((c) => c.id),
    userById: new Map(users.map((u) => [u.id, u])),
    queueById: new Map(queues.map((q) => [q.id, q])),
    wrapupCodeById: new Map(wrapupCodes.map((w) => [w.id, w])),
    contactById: new Map(contacts.map((c) => [c.id, c])),
  };
}

function generateContacts(count: number, rng: Random, born: () => number): OrgContact[] {
  const contacts: OrgContact[] = [];
  const usedNumbers = new Set<string>();
  for (let i = 0; i < count; i++) {
    const country = rng.weighted(COUNTRIES.map((c, index) => [c, index === 0 ? 3 : 1] as const));
    let phone = '';
    for (let attempt = 0; attempt < 40 && (!phone || usedNumbers.has(phone)); attempt++) {
      phone = `${rng.pick(country.prefixes)}${rng.digits(country.digits)}`;
    }
    // A large contact list outgrows the fictional ranges; widen with more digits rather than repeat a number.
    while (usedNumbers.has(phone)) phone = `${rng.pick(country.prefixes)}${rng.digits(country.digits + 2)}`;
    usedNumbers.add(phone);
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const contact: OrgContact = {
      id: rng.uuid(),
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${i}@mail.example.net`.toLowerCase(),
      phone,
      countryCode: country.countryCode,
      city: rng.pick(country.cities),
      timeZone: rng.pick(country.timeZones),
      optedOut: rng.chance(0.12),
      createDate: born(),
    };
    if (rng.chance(0.6)) contact.whatsAppNumber = phone;
    if (rng.chance(0.4)) contact.openMessagingId = `visitor-${rng.uuid().slice(0, 13)}`;
    contacts.push(contact);
  }
  return contacts;
}
