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
  smsNumbers: 'sms:phoneNumber:view',
  integrations: 'messaging:integration:view',
} as const;

/** Identifier types accepted by the contact lookup. */
export const IDENTIFIER_TYPES = ['Phone', 'Email', 'SocialWhatsapp', 'ExternalId', 'Cookie'] as const;

const notFound = (what: string, id: string) =>
  platformError(404, 'not.found', `${what} ${id} not found`, { id });

/** `*` wildcards anywhere, case-insensitive; otherwise an exact (case-insensitive) name. */
function nameMatcher(pattern: string | null): (name: string) => boolean {
  if (!pattern) return () => true;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  const re = new RegExp(`^${escaped}$`, 'i');
  return (name) => re.test(name);
}

function paged<T>(request: EmulatorRequest, items: readonly T[], max = 500) {
  const paging = parsePaging(request.query, max);
  if (isResponse(paging)) return paging;
  return { status: 200, body: listing(items, paging, request.path) };
}

/** Registers the org routes. */
export function registerOrgRoutes(router: Router, world: World): void {
  const { org } = world;

  router.add('GET', '/api/v2/users', (request) => {
    const ids = idsFrom(request.query, 'id');
    const users = org.users.filter((u) => ids.length === 0 || ids.includes(u.id));
    return paged(
      request,
      users.map((u) => userView(org, u)),
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
      const queues = org.queues.filter((q) => (ids.length === 0 || ids.includes(q.id)) && matches(q.name));
      return paged(
        request,
        queues.map((q) => queueView(org, q)),
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
      return paged(
        request,
        org.wrapupCodes.filter((c) => matches(c.name)).map((c) => wrapupCodeView(org, c)),
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
    { permissions: [ORG_PERMISSIONS.contacts] },
  );
  router.add(
    'POST',
    '/api/v2/externalcontacts/identifierlookup/contacts',
    (request) => {
      const body = request.body as { type?: unknown; value?: unknown } | undefined;
      if (typeof body !== 'object' || body === null)
        return platformError(400, 'bad.request', 'The body must be a ContactIdentifier object {type, value}');
      if (typeof body.type !== 'string' || !(IDENTIFIER_TYPES as readonly string[]).includes(body.type))
        return platformError(400, 'invalid.value', `type must be one of ${IDENTIFIER_TYPES.join(', ')}`, {
          type: body.type,
        });
      if (typeof body.value !== 'string' || body.value.trim() === '')
        return platformError(400, 'invalid.value', 'value is required');
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
      return paged(
        request,
        org.smsNumbers.filter((n) => matches(n.phoneNumber.replace(/^\+/, ''))).map(smsNumberView),
      );
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
      return undefined;
  }
}
