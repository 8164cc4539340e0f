/**
 * What the proactive rules need: external contacts (who the customer is), agentless messaging, the wrap-up code
 * names rules filter on, and for each channel the rules name, a sender that can send: an active SMS number able to
 * send SMS, an active WhatsApp or Open Messaging integration — the configured one, or the first the engine would
 * pick.
 */
import { randomUUID } from 'node:crypto';
import type { AgentlessChannel } from '../proactive/rules/schema.js';
import type { ProactiveRule } from '../proactive/rules/types.js';
import { isIntegrationActive, isSmsNumberActive } from '../spellings.js';
import { checkAccess } from './access.js';
import type { DoctorContext } from './context.js';
import type { CheckResult } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AGENTLESS: readonly AgentlessChannel[] = ['sms', 'whatsapp', 'open'];

function enabledRules(ctx: DoctorContext): ProactiveRule[] {
  return ctx.plan.rules?.rules.filter((rule) => rule.enabled) ?? [];
}

/** The enabled rules that list a channel, by id. */
function rulesUsing(ctx: DoctorContext, channel: AgentlessChannel): string[] {
  return enabledRules(ctx)
    .filter((rule) => rule.channels.includes(channel))
    .map((rule) => rule.id);
}

/** Every proactive check, in order; none without a rules file. */
export async function checkProactive(ctx: DoctorContext): Promise<CheckResult[]> {
  if (!ctx.plan.rules) return [];
  const results: CheckResult[] = [];
  results.push(
    (
      await checkAccess(ctx, {
        id: 'external-contacts',
        title: 'External contacts',
        method: 'GET',
        pattern: '/api/v2/externalcontacts/contacts/{contactId}',
        // An id no contact has: a 404 is read as access (see access.ts).
        path: `/api/v2/externalcontacts/contacts/${randomUUID()}`,
        heldOn: [404],
        purpose: 'Reading the customer’s external contact (name, numbers, consent)',
        recommend: ['externalContacts:contact:view'],
      })
    ).result,
  );
  results.push(await checkWrapupCodes(ctx));
  if (AGENTLESS.some((channel) => rulesUsing(ctx, channel).length > 0)) {
    results.push(
      (
        await checkAccess(ctx, {
          id: 'agentless',
          title: 'Agentless messaging',
          method: 'POST',
          pattern: '/api/v2/conversations/messages/agentless',
          path: '/api/v2/conversations/messages/agentless',
          // No sender, no recipient, no text: nothing can be sent. A 400 is read as access (see access.ts).
          body: {},
          heldOn: [400],
          purpose: 'Sending agentless messages (a request without a recipient; nothing is sent)',
        })
      ).result,
    );
  }
  if (rulesUsing(ctx, 'sms').length > 0) results.push(await checkSmsSender(ctx));
  for (const kind of ['whatsapp', 'open'] as const) {
    if (rulesUsing(ctx, kind).length > 0) results.push(await checkIntegrationSender(ctx, kind));
  }
  return results;
}

/** `wrapup-codes`: the code listing, which turns the names rules use into ids and ids into names for templates. */
async function checkWrapupCodes(ctx: DoctorContext): Promise<CheckResult> {
  const named = enabledRules(ctx).filter((rule) => {
    const codes = [
      ...(rule.trigger.kind === 'event' ? (rule.trigger.wrapupCode ?? []) : []),
      ...(rule.history.lastWrapupCodeIn ?? []),
    ];
    return codes.some((code) => !UUID.test(code));
  });
  const { result } = await checkAccess(ctx, {
    id: 'wrapup-codes',
    title: 'Wrap-up code names',
    method: 'GET',
    pattern: '/api/v2/routing/wrapupcodes',
    path: '/api/v2/routing/wrapupcodes',
    query: { pageSize: 1, pageNumber: 1 },
    // Rules that name codes never match without the listing; otherwise only templates show ids for names.
    whenMissing: named.length > 0 ? 'fail' : 'warn',
    purpose:
      named.length > 0
        ? `Wrap-up codes named by rules ${named.map((r) => r.id).join(', ')}`
        : 'Wrap-up code names in message templates',
  });
  return result;
}

interface SmsNumber {
  phoneNumber?: string;
  phoneNumberStatus?: string;
  phoneNumberType?: string;
  capabilities?: string[];
  supportsSms?: boolean;
}

const digits = (value: string) => value.replace(/[^\d]/g, '');
const sendsSms = (n: SmsNumber) =>
  n.supportsSms !== false && (n.capabilities === undefined || n.capabilities.includes('sms'));

/** `sender-sms`: the configured SMS number is provisioned, ACTIVE and able to send SMS; or one such exists. */
async function checkSmsSender(ctx: DoctorContext): Promise<CheckResult> {
  const users = rulesUsing(ctx, 'sms');
  const { result, body } = await checkAccess(ctx, {
    id: 'sender-sms',
    title: 'SMS sender',
    method: 'GET',
    pattern: '/api/v2/routing/sms/phonenumbers',
    path: '/api/v2/routing/sms/phonenumbers',
    query: { pageSize: 100, pageNumber: 1 },
    purpose: `SMS numbers (rules ${users.join(', ')})`,
  });
  if (body === undefined) return result;
  const numbers = ((body as { entities?: SmsNumber[] }).entities ?? []).filter((n) => n.phoneNumber);
  const usable = numbers.filter((n) => isSmsNumberActive(n.phoneNumberStatus) && sendsSms(n));
  const usableList =
    usable.length > 0 ? usable.map((n) => n.phoneNumber).join(', ') : 'none (provision or activate one)';
  const configured = ctx.plan.rules?.settings.senders.sms?.fromAddress;
  const base = { id: 'sender-sms', title: 'SMS sender' } as const;
  if (configured === undefined) {
    const first = usable[0];
    return first
      ? {
          ...base,
          status: 'pass',
          detail: `The engine will send SMS from ${first.phoneNumber}, the first active SMS number.`,
        }
      : {
          ...base,
          status: 'fail',
          detail: `The org has no active SMS number that can send SMS (${numbers.length} listed).`,
          fix: 'Provision or activate an SMS number (Admin > Message > SMS Number Inventory), or remove sms from the rules’ channels.',
        };
  }
  const match = numbers.find((n) => digits(n.phoneNumber!) === digits(configured));
  const choose = `Set settings.senders.sms.fromAddress in the rules file to an active SMS number: ${usableList}.`;
  if (!match) {
    return {
      ...base,
      status: 'fail',
      detail: `settings.senders.sms.fromAddress ${configured} is not an SMS number of this org.`,
      fix: choose,
    };
  }
  if (!isSmsNumberActive(match.phoneNumberStatus)) {
    return {
      ...base,
      status: 'fail',
      detail: `settings.senders.sms.fromAddress ${configured} is ${match.phoneNumberStatus}, not ACTIVE: the platform will not send from it.`,
      fix: `Wait until its provisioning completes (Admin > Message > SMS Number Inventory), or: ${choose}`,
    };
  }
  if (!sendsSms(match)) {
    return {
      ...base,
      status: 'fail',
      detail: `settings.senders.sms.fromAddress ${configured} cannot send SMS (${match.phoneNumberType ?? 'type unknown'}, capabilities ${(match.capabilities ?? []).join(', ') || 'none'}).`,
      fix: choose,
    };
  }
  return {
    ...base,
    status: 'pass',
    detail: `${configured} is ACTIVE and sends SMS (rules ${users.join(', ')}).`,
  };
}

interface Integration {
  id?: string;
  name?: string;
  status?: string;
}

const INTEGRATIONS = {
  whatsapp: { id: 'sender-whatsapp', title: 'WhatsApp sender', what: 'WhatsApp integration' },
  open: { id: 'sender-open', title: 'Open Messaging sender', what: 'Open Messaging integration' },
} as const;

/** `sender-whatsapp` / `sender-open`: the configured integration exists and is Active; or an Active one exists. */
async function checkIntegrationSender(ctx: DoctorContext, kind: 'whatsapp' | 'open'): Promise<CheckResult> {
  const { id, title, what } = INTEGRATIONS[kind];
  const users = rulesUsing(ctx, kind);
  const path = `/api/v2/conversations/messaging/integrations/${kind}`;
  const { result, body } = await checkAccess(ctx, {
    id,
    title,
    method: 'GET',
    pattern: path,
    path,
    query: { pageSize: 100, pageNumber: 1 },
    purpose: `${what}s (rules ${users.join(', ')})`,
  });
  if (body === undefined) return result;
  const integrations = ((body as { entities?: Integration[] }).entities ?? []).filter((i) => i.id);
  const active = integrations.filter((i) => isIntegrationActive(i.status));
  const label = (i: Integration) => `${i.name ?? i.id} (${i.id})`;
  const choose = `Set settings.senders.${kind}.integrationId in the rules file to an Active ${what}: ${
    active.length > 0
      ? active.map(label).join(', ')
      : 'none (create or repair one in Admin > Message > Platforms)'
  }.`;
  const configured = ctx.plan.rules?.settings.senders[kind]?.integrationId;
  const base = { id, title } as const;
  if (configured === undefined) {
    const first = active[0];
    return first
      ? {
          ...base,
          status: 'pass',
          detail: `The engine will send through ${label(first)}, the first Active ${what}.`,
        }
      : {
          ...base,
          status: 'fail',
          detail: `The org has no Active ${what} (${integrations.length} listed).`,
          fix: `Create or repair one (Admin > Message > Platforms), or remove ${kind} from the rules’ channels.`,
        };
  }
  const match = integrations.find((i) => i.id!.toLowerCase() === configured.toLowerCase());
  if (!match) {
    return {
      ...base,
      status: 'fail',
      detail: `settings.senders.${kind}.integrationId ${configured} is not a ${what} of this org.`,
      fix: choose,
    };
  }
  if (!isIntegrationActive(match.status)) {
    return {
      ...base,
      status: 'fail',
      detail: `${label(match)} is ${match.status}, not Active.`,
      fix: `Repair it in Admin > Message > Platforms, or: ${choose}`,
    };
  }
  return { ...base, status: 'pass', detail: `${label(match)} is Active (rules ${users.join(', ')}).` };
}
