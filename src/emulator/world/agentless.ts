/**
 * Agentless outbound messaging (`POST /api/v2/conversations/messages/agentless`) with the platform's rules: only
 * SMS, WhatsApp and Open Messaging; each channel's sender and address formats; text limits; WhatsApp templates
 * outside the 24-hour window. Every accepted send is recorded (the "never sent twice" oracle) and lands in a
 * message conversation that analytics finds.
 */
import type { Models } from 'purecloud-platform-client-v2';
import { digitsOf, iso } from './format.js';
import {
  addLeg,
  appendMessage,
  isEnded,
  type MessengerType,
  newConversation,
  type SimConversation,
} from './model.js';
import type { Org, OrgContact } from './org.js';
import type { Random } from './random.js';
import { renderMessageData } from './render.js';
import type { WorldSettings } from './settings.js';
import type { ConversationStore } from './store.js';

export const AGENTLESS_MESSENGER_TYPES = ['sms', 'whatsapp', 'open'] as const;
export type AgentlessMessengerType = (typeof AGENTLESS_MESSENGER_TYPES)[number];

export const SMS_TEXT_LIMIT = 765;
export const TEXT_LIMIT = 2000;

/** One accepted agentless send. */
export interface OutboundRecord {
  /** The message id (also the response's `id`). */
  id: string;
  conversationId: string;
  fromAddress: string;
  toAddress: string;
  messengerType: AgentlessMessengerType;
  textBody?: string;
  messagingTemplate?: Models.SendMessagingTemplateRequest;
  timestamp: string;
  /** The OAuth client that sent it, and the user for user-context tokens. */
  clientId: string;
  userId?: string;
  /** The contact the address resolved to, when it did. */
  externalContactId?: string;
  useExistingActiveConversation: boolean;
  /** True when the message went into an existing active conversation. */
  reusedConversation: boolean;
}

export type AgentlessResponse = Models.SendAgentlessOutboundMessageResponse & { textBody?: string };

/**
 * A refused send: a body of the wrong shape (`malformed`) or a value the platform does not accept (`invalid`), with
 * the platform's message and its parameters. The routes give it the platform's status and error code.
 */
export interface AgentlessRefusal {
  reason: 'malformed' | 'invalid';
  message: string;
  messageParams: Record<string, string>;
}

export type AgentlessResult =
  | { ok: true; response: AgentlessResponse; record: OutboundRecord }
  | { ok: false; refusal: AgentlessRefusal };

const E164 = /^\+[1-9][0-9]{6,14}$/;
const WHATSAPP_ADDRESS = /^[1-9][0-9]{6,14}$/;

function refuse(reason: AgentlessRefusal['reason'], message: string, messageParams = {}): AgentlessResult {
  return { ok: false, refusal: { reason, message, messageParams } };
}

export interface AgentlessCaller {
  clientId: string;
  userId?: string;
}

/** Validates and performs agentless sends against the world's org and store. */
export class AgentlessSender {
  private readonly records: OutboundRecord[] = [];

  constructor(
    private readonly org: Org,
    private readonly store: ConversationStore,
    private readonly settings: WorldSettings,
    private readonly rng: Random,
  ) {}

  /** Every accepted send, oldest first. */
  outbound(): OutboundRecord[] {
    return [...this.records];
  }

  send(body: unknown, caller: AgentlessCaller, now: number): AgentlessResult {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return refuse(
        'malformed',
        'The request body must be a SendAgentlessOutboundMessageRequest JSON object',
      );
    const raw = body as Record<string, unknown>;
    const type = raw.toAddressMessengerType;
    if (typeof type !== 'string' || type === '')
      return refuse('invalid', 'toAddressMessengerType is required: one of sms, whatsapp, open');
    if (!(AGENTLESS_MESSENGER_TYPES as readonly string[]).includes(type))
      return refuse(
        'invalid',
        `toAddressMessengerType '${type}' is not supported for agentless outbound messages; use sms, whatsapp or open` +
          (type === 'webmessaging' ? ' (web messaging cannot be reached by agentless messages)' : ''),
        { toAddressMessengerType: type },
      );
    const messengerType = type as AgentlessMessengerType;
    if (typeof raw.fromAddress !== 'string' || raw.fromAddress === '')
      return refuse('invalid', 'fromAddress is required');
    const fromAddress = raw.fromAddress;
    // SendAgentlessOutboundMessageRequest has no other way to name the recipient: toAddress is required.
    const toAddress = raw.toAddress;
    if (typeof toAddress !== 'string' || toAddress === '') return refuse('invalid', 'toAddress is required');
    if (
      raw.useExistingActiveConversation !== undefined &&
      typeof raw.useExistingActiveConversation !== 'boolean'
    )
      return refuse('invalid', 'useExistingActiveConversation must be a boolean');
    const useExisting = raw.useExistingActiveConversation === true;
    const hasText = raw.textBody !== undefined;
    const hasTemplate = raw.messagingTemplate !== undefined;
    if (hasText === hasTemplate)
      return refuse('malformed', 'Exactly one of textBody and messagingTemplate must be given');
    if (hasText && (typeof raw.textBody !== 'string' || raw.textBody.trim() === ''))
      return refuse('invalid', 'textBody must be a non-empty string');
    const textBody = hasText ? (raw.textBody as string) : undefined;

    let template: Models.SendMessagingTemplateRequest | undefined;
    switch (messengerType) {
      case 'sms': {
        if (!this.org.smsNumbers.some((n) => n.phoneNumber === fromAddress))
          return refuse(
            'invalid',
            `fromAddress ${fromAddress} is not an SMS number provisioned in this org (see GET /api/v2/routing/sms/phonenumbers)`,
            { fromAddress },
          );
        if (!E164.test(toAddress))
          return refuse('invalid', 'toAddress must be an E.164 phone number (e.g. +13175550123) for sms');
        if (hasTemplate) return refuse('invalid', 'messagingTemplate is only supported for whatsapp');
        if (textBody!.length > SMS_TEXT_LIMIT)
          return refuse(
            'invalid',
            `textBody is ${textBody!.length} characters; sms allows at most ${SMS_TEXT_LIMIT}`,
          );
        break;
      }
      case 'whatsapp': {
        if (fromAddress !== this.org.whatsappIntegration.id)
          return refuse(
            'invalid',
            'fromAddress must be the id of a WhatsApp integration of this org (see GET /api/v2/conversations/messaging/integrations/whatsapp)',
            { fromAddress },
          );
        if (!WHATSAPP_ADDRESS.test(toAddress))
          return refuse(
            'invalid',
            "toAddress must be the WhatsApp number as digits without '+' (e.g. 13175550123)",
          );
        if (hasTemplate) {
          const checked = checkTemplate(raw.messagingTemplate);
          if (typeof checked === 'string') return refuse('invalid', checked);
          template = checked;
        } else {
          const last = this.store.lastInboundWhatsAppFrom(toAddress);
          const windowMs = this.settings.whatsappWindowHours * 3_600_000;
          if (last === undefined || now - last > windowMs)
            return refuse(
              'invalid',
              `The recipient has not messaged within the last ${this.settings.whatsappWindowHours} hours: outside the customer service window WhatsApp allows only an approved messagingTemplate`,
            );
          if (textBody!.length > TEXT_LIMIT)
            return refuse(
              'invalid',
              `textBody is ${textBody!.length} characters; at most ${TEXT_LIMIT} allowed`,
            );
        }
        break;
      }
      case 'open': {
        if (fromAddress !== this.org.openIntegration.id)
          return refuse(
            'invalid',
            'fromAddress must be the id of an Open Messaging integration of this org (see GET /api/v2/conversations/messaging/integrations/open)',
            { fromAddress },
          );
        if (hasTemplate) return refuse('invalid', 'Open Messaging accepts text only: send textBody');
        if (textBody!.length > TEXT_LIMIT)
          return refuse(
            'invalid',
            `textBody is ${textBody!.length} characters; at most ${TEXT_LIMIT} allowed`,
          );
        break;
      }
    }

    const contact = this.resolve(messengerType, toAddress);
    const text = textBody ?? renderTemplate(template!);
    const existing = useExisting
      ? this.store.activeMessageConversation(
          messengerType,
          toAddress,
          this.businessAddresses(messengerType, fromAddress),
        )
      : undefined;
    const conversation =
      existing ?? this.createConversation(messengerType, fromAddress, toAddress, contact, now);
    // The leg that speaks for the business: the newest one still connected (an agent, a bot) or the first.
    const business =
      conversation.participants.findLast((p) => p.purpose !== 'customer' && !isEnded(p)) ??
      conversation.participants.find((p) => p.purpose !== 'customer')!;
    const message = appendMessage(conversation.id, business.comm, {
      messageId: this.rng.uuid(),
      time: now,
      status: 'sent',
      direction: 'outbound',
      textBody: text,
      fromAddress,
      toAddress,
      sentBy: caller.userId ? { userId: caller.userId } : { clientId: caller.clientId },
    });
    const timestamp = iso(now);
    const record: OutboundRecord = {
      id: message.messageId,
      conversationId: conversation.id,
      fromAddress,
      toAddress,
      messengerType,
      timestamp,
      clientId: caller.clientId,
      useExistingActiveConversation: useExisting,
      reusedConversation: existing !== undefined,
    };
    if (textBody !== undefined) record.textBody = textBody;
    if (template) record.messagingTemplate = template;
    if (caller.userId) record.userId = caller.userId;
    if (contact) record.externalContactId = contact.id;
    this.records.push(record);

    const response: AgentlessResponse = {
      id: message.messageId,
      conversationId: conversation.id,
      fromAddress,
      toAddress,
      messengerType,
      useExistingActiveConversation: useExisting,
      timestamp,
      message: renderMessageData(message),
    };
    if (textBody !== undefined) response.textBody = textBody;
    if (caller.userId) response.user = { id: caller.userId, selfUri: `/api/v2/users/${caller.userId}` };
    return { ok: true, response, record };
  }

  /** The addresses a customer's messages to this sender arrive at (a WhatsApp integration also has its number). */
  private businessAddresses(messengerType: AgentlessMessengerType, fromAddress: string): string[] {
    if (messengerType === 'whatsapp') return [fromAddress, this.org.whatsappIntegration.phoneNumber ?? ''];
    return [fromAddress];
  }

  /** Identity resolution: the contact that owns the address on that channel. */
  private resolve(messengerType: AgentlessMessengerType, toAddress: string): OrgContact | undefined {
    const digits = digitsOf(toAddress);
    return this.org.contacts.find((c) =>
      messengerType === 'sms'
        ? c.phone === toAddress
        : messengerType === 'whatsapp'
          ? c.whatsAppNumber !== undefined && digitsOf(c.whatsAppNumber) === digits
          : c.openMessagingId === toAddress,
    );
  }

  /** The conversation an agentless send opens: the business (`api`) leg and the customer, both connected. */
  private createConversation(
    messengerType: MessengerType,
    fromAddress: string,
    toAddress: string,
    contact: OrgContact | undefined,
    now: number,
  ): SimConversation {
    const conversation = newConversation(
      this.rng.uuid(),
      messengerType,
      'agentless',
      this.org.division.id,
      'outbound',
    );
    conversation.startTime = now;
    const business = addLeg(
      conversation,
      {
        id: this.rng.uuid(),
        commId: this.rng.uuid(),
        purpose: 'api',
        state: 'connected',
        direction: 'outbound',
        name: 'Agentless outbound',
        comm: { fromAddress, toAddress },
      },
      now,
    );
    const customer = addLeg(
      conversation,
      {
        id: this.rng.uuid(),
        commId: this.rng.uuid(),
        purpose: 'customer',
        state: 'connected',
        direction: 'outbound',
        address: toAddress,
        ...(contact
          ? { externalContactId: contact.id, name: `${contact.firstName} ${contact.lastName}` }
          : {}),
        // The customer's own view: it writes from its address to the business address.
        comm: { fromAddress: toAddress, toAddress: fromAddress },
      },
      now,
    );
    business.comm.peerId = customer.comm.id;
    customer.comm.peerId = business.comm.id;
    this.store.add(conversation);
    return conversation;
  }
}

function checkTemplate(value: unknown): Models.SendMessagingTemplateRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'messagingTemplate must be an object with responseId and bodyParameters';
  const t = value as Record<string, unknown>;
  if (typeof t.responseId !== 'string' || t.responseId === '')
    return 'messagingTemplate.responseId is required: the id of an approved WhatsApp template response';
  const template: Models.SendMessagingTemplateRequest = { responseId: t.responseId };
  if (t.bodyParameters !== undefined) {
    if (!Array.isArray(t.bodyParameters)) return 'messagingTemplate.bodyParameters must be an array';
    const parameters: Models.TemplateParameter[] = [];
    for (const [i, p] of t.bodyParameters.entries()) {
      if (typeof p !== 'object' || p === null || typeof (p as { value?: unknown }).value !== 'string')
        return `messagingTemplate.bodyParameters[${i}] must be {id?, value} with a string value`;
      const { id, value } = p as { id?: unknown; value: string };
      parameters.push(typeof id === 'string' ? { id, value } : { value });
    }
    template.bodyParameters = parameters;
  }
  return template;
}

function renderTemplate(template: Models.SendMessagingTemplateRequest): string {
  const values = (template.bodyParameters ?? []).map((p) => p.value).join(', ');
  return `[template ${template.responseId}]${values ? ` ${values}` : ''}`;
}
