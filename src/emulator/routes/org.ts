/**
 * Org routes: users, queues, wrap-up codes, external contacts (with identifier lookup), SMS numbers, messaging
 * integrations and a few org limits. Permissions use the platform's names (none for the user directory, which
 * any authenticated client can read).
 */
import { type EmulatorRequest, platformError, type Router } from '../router.js';
import { digitsOf as digits } from '../world/format.js';
import type { OrgContact, World } from '../world/index.js';
import {
  contactView,
  openIntegrationView,
  queueView,
  smsNumberView,
  userView,
  whatsAppIntegrationView,
  wrapupCodeView,
} from './org-views.js';
import { idsFrom, isResponse, listing, parsePaging } from './paging.js';

export const ORG_PERMISSIONS = {
  queues: 'routing:queue:view',
  wrapupCodes: 'routing:wrapupCode:view',
  contacts: 'externalContacts:contact:view',
  /** Reading one contact also works with the Relate permission. */
  relateContacts: 'relate:contact:view',
  smsNumbers: 'sms:phoneNumber:view',
  integrations: 'messaging:integration:view',
} as const;

const notFound = (what: string, id: string) =>
  platformError(404, 'not.found', `${what} ${id} not found`, { id });

/** `*` wildcards anywhere, case-insensitive; otherwise an exact (case-insensitive) name. */
function nameMatcher(pattern: string | null): (name: string) => boolean {
  if (!pattern) return () => true;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const re = new RegExp(`^${escaped}$`, 'i');
  return (name) => re.test(name);
}

/**
 * Items ordered by a text key, for the listings' `sortOrder` (`ascending`/`asc`, `descending`/`desc`); without one,
 * in the org's own order.
 */
function sorted<T>(items: readonly T[], key: (item: T) => string, order: string | null): T[] {
  if (order === null) return [...items];
  const direction = order === 'descending' || order === 'desc' ? -1 : 1;
  return [...items].sort((a, b) => direction * key(a).localeCompare(key(b)));
}

/** Listing filters the world has nothing to match (divisions other than its one, states it never uses). */
function inDivision(request: EmulatorRequest, divisionId: string): boolean {
  const wanted = idsFrom(request.query, 'divisionId');
  return wanted.length === 0 || wanted.includes(divisionId);
}

function paged<T>(request: EmulatorRequest, items: readonly T[], max = 500) {
  const paging = parsePaging(request.query, max);
  if (isResponse(paging)) return paging;
  return { status: 200, body: listing(items, paging, request.path) };
}

/** Values of a list query parameter, repeated or comma-separated. */
function listOf(request: EmulatorRequest, name: string): string[] {
  return request.query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Registers the org routes. */
export function registerOrgRoutes(router: Router, world: World): void {
  const { org } = world;

  router.add('GET', '/api/v2/users', (request) => {
    const ids = idsFrom(request.query, 'id');
    // Every user of the world is active: `state` (default active) lists them all or none.
    const state = request.query.get('state') ?? 'active';
    const users = org.users.filter(
      (u) => (ids.length === 0 || ids.includes(u.id)) && (state === 'active' || state === 'any'),
    );
    return paged(
      request,
      sorted(users, (u) => u.name, request.query.get('sortOrder')).map((u) => userView(org, u)),
    );
  });
  router.add('GET', '/api/v2/users/{userId}', (request) => {
    const user = org.userById.get(request.params.userId!.toLowerCase());
    return user ? { status: 200, body: userView(org, user) } : notFound('User', request.params.userId!);
  });

  router.add(
    'GET',
    '/api/v2/routing/queues',
    (request) => {
      const ids = idsFrom(request.query, 'id');
      const matches = nameMatcher(request.query.get('name'));
      const queues = org.queues.filter(
        (q) =>
          (ids.length === 0 || ids.includes(q.id)) && matches(q.name) && inDivision(request, org.division.id),
      );
      return paged(
        request,
        sorted(queues, (q) => q.name, request.query.get('sortOrder')).map((q) => queueView(org, q)),
      );
    },
    { permissions: [ORG_PERMISSIONS.queues] },
  );
  router.add(
    'GET',
    '/api/v2/routing/queues/{queueId}',
    (request) => {
      const queue = org.queueById.get(request.params.queueId!.toLowerCase());
      return queue
        ? { status: 200, body: queueView(org, queue) }
        : notFound('Queue', request.params.queueId!);
    },
    { permissions: [ORG_PERMISSIONS.queues] },
  );

  router.add(
    'GET',
    '/api/v2/routing/wrapupcodes',
    (request) => {
      const matches = nameMatcher(request.query.get('name'));
      const ids = idsFrom(request.query, 'id');
      const codes = org.wrapupCodes.filter(
        (c) =>
          matches(c.name) && (ids.length === 0 || ids.includes(c.id)) && inDivision(request, org.division.id),
      );
      const key =
        request.query.get('sortBy') === 'id'
          ? (c: (typeof codes)[number]) => c.id
          : (c: (typeof codes)[number]) => c.name;
      return paged(
        request,
        sorted(
          codes,
          key,
          request.query.get('sortOrder') ?? (request.query.has('sortBy') ? 'ascending' : null),
        ).map((c) => wrapupCodeView(org, c)),
      );
    },
    { permissions: [ORG_PERMISSIONS.wrapupCodes] },
  );
  router.add(
    'GET',
    '/api/v2/routing/wrapupcodes/{codeId}',
    (request) => {
      const code = org.wrapupCodeById.get(request.params.codeId!.toLowerCase());
      return code
        ? { status: 200, body: wrapupCodeView(org, code) }
        : notFound('Wrap-up code', request.params.codeId!);
    },
    { permissions: [ORG_PERMISSIONS.wrapupCodes] },
  );

  router.add(
    'GET',
    '/api/v2/externalcontacts/contacts/{contactId}',
    (request) => {
      const contact = org.contactById.get(request.params.contactId!.toLowerCase());
      return contact
        ? { status: 200, body: contactView(org, contact) }
        : notFound('External contact', request.params.contactId!);
    },
    { permissions: [ORG_PERMISSIONS.relateContacts, ORG_PERMISSIONS.contacts] },
  );
  router.add(
    'POST',
    '/api/v2/externalcontacts/identifierlookup/contacts',
    (request) => {
      // The shell checked the body against ContactIdentifier: type is one of the platform's identifier types.
      const body = request.body as { type: string; value: unknown };
      if (typeof body.value !== 'string' || body.value.trim() === '')
        return platformError(400, 'invalid.value', 'value is required', { field: 'value' });
      const contact = lookupContact(org.contacts, body.type, body.value);
      return contact
        ? { status: 200, body: contactView(org, contact) }
        : platformError(404, 'not.found', `No external contact has the ${body.type} identifier given`);
    },
    { permissions: [ORG_PERMISSIONS.contacts] },
  );

  router.add(
    'GET',
    '/api/v2/routing/sms/phonenumbers',
    (request) => {
      const filter = request.query.get('phoneNumber')?.replace(/[^0-9*]/g, '');
      const matches = filter ? nameMatcher(filter.includes('*') ? filter : `*${filter}*`) : () => true;
      // The query spells statuses in lower case with hyphens (`pending-cancellation`); the model in upper case with
      // underscores (`PENDING_CANCELLATION`).
      const statuses = listOf(request, 'phoneNumberStatus').map((v) => v.toUpperCase().replace(/-/g, '_'));
      const types = listOf(request, 'phoneNumberType');
      const countries = listOf(request, 'countryCode').map((v) => v.toUpperCase());
      const numbers = org.smsNumbers.filter(
        (n) =>
          matches(n.phoneNumber.replace(/^\+/, '')) &&
          (statuses.length === 0 || statuses.includes(n.status)) &&
          (types.length === 0 || types.includes('tollfree')) &&
          (countries.length === 0 || countries.includes(n.countryCode)),
      );
      const sortBy = request.query.get('sortBy');
      const key = (n: (typeof numbers)[number]) =>
        sortBy === 'phoneNumberStatus' ? n.status : sortBy === 'countryCode' ? n.countryCode : n.phoneNumber;
      return paged(request, sorted(numbers, key, request.query.get('sortOrder')).map(smsNumberView));
    },
    { permissions: [ORG_PERMISSIONS.smsNumbers] },
  );

  const integrationRoutes = [
    ['whatsapp', org.whatsappIntegration.id, () => whatsAppIntegrationView(org)],
    ['open', org.openIntegration.id, () => openIntegrationView(org)],
  ] as const;
  for (const [kind, id, view] of integrationRoutes) {
    router.add(
      'GET',
      `/api/v2/conversations/messaging/integrations/${kind}`,
      (request) => paged(request, [view()]),
      {
        permissions: [ORG_PERMISSIONS.integrations],
      },
    );
    router.add(
      'GET',
      `/api/v2/conversations/messaging/integrations/${kind}/{integrationId}`,
      (request) =>
        request.params.integrationId!.toLowerCase() === id
          ? { status: 200, body: view() }
          : notFound('Integration', request.params.integrationId!),
      { permissions: [ORG_PERMISSIONS.integrations] },
    );
  }

  router.add('GET', '/api/v2/organizations/limits/namespaces/{namespace}', (request) => {
    const limits: Record<string, Record<string, number>> = {
      analytics: {
        'conversation.details.query.page.size.max': world.settings.analyticsMaxPageSize,
        'conversation.details.query.results.max': world.settings.analyticsMaxResults,
      },
      messaging: { 'agentless.sms.text.length.max': 765, 'agentless.text.length.max': 2000 },
    };
    const namespace = request.params.namespace!;
    const entries = limits[namespace];
    if (!entries) return notFound('Limits namespace', namespace);
    return {
      status: 200,
      body: { entities: Object.entries(entries).map(([key, value]) => ({ key, namespace, value })) },
    };
  });
}

function lookupContact(contacts: readonly OrgContact[], type: string, value: string): OrgContact | undefined {
  switch (type) {
    case 'Phone':
      // The platform wants the country code with a leading +; spaces and dashes are tolerated.
      return value.trim().startsWith('+')
        ? contacts.find((c) => digits(c.phone) === digits(value))
        : undefined;
    case 'Email':
      return contacts.find((c) => c.email.toLowerCase() === value.trim().toLowerCase());
    case 'SocialWhatsapp':
      return contacts.find((c) => c.whatsAppNumber && digits(c.whatsAppNumber) === digits(value));
    case 'ExternalId':
      return contacts.find((c) => c.openMessagingId === value.trim());
    default:
      // Cookies, social and Apple ids: the world's contacts have none, so nothing is found.
      return undefined;
  }
}
