/**
 * Each agentless channel's rules, checked before the platform is called, so that a message the platform would
 * refuse is never sent (and never costs a request): SMS from a provisioned number to an E.164 number, at most
 * 765 characters; WhatsApp from the integration to digits without `+`, a template outside the 24-hour window;
 * Open Messaging from the integration, text only; other text at most 2,000 characters. Web messaging is not an
 * agentless target at all.
 */
import type { Models } from '../../platform/index.js';
import type { AgentlessChannel } from '../rules/schema.js';

export const SMS_TEXT_LIMIT = 765;
export const TEXT_LIMIT = 2000;

/** The body of `POST /api/v2/conversations/messages/agentless`. */
export interface AgentlessRequest {
  fromAddress: string;
  toAddress: string;
  toAddressMessengerType: AgentlessChannel;
  textBody?: string;
  messagingTemplate?: Models.SendMessagingTemplateRequest;
  useExistingActiveConversation: boolean;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const WHATSAPP_DIGITS = /^[1-9]\d{6,14}$/;

/** Why the platform would refuse the request, or undefined when it is well-formed. */
export function agentlessProblem(request: AgentlessRequest): string | undefined {
  const hasText = request.textBody !== undefined;
  const hasTemplate = request.messagingTemplate !== undefined;
  if (hasText === hasTemplate) return 'exactly one of a text and a WhatsApp template must be given';
  if (hasText && request.textBody!.trim() === '') return 'the message text is empty';
  if (!request.fromAddress) return 'no sender (fromAddress)';
  const length = request.textBody?.length ?? 0;
  switch (request.toAddressMessengerType) {
    case 'sms':
      if (!E164.test(request.fromAddress)) return 'the SMS sender must be a provisioned number in E.164 form';
      if (!E164.test(request.toAddress))
        return 'the customer’s phone number is not in E.164 form (+<country><number>)';
      if (hasTemplate) return 'SMS takes text, not a template';
      if (length > SMS_TEXT_LIMIT)
        return `the text is ${length} characters; SMS allows at most ${SMS_TEXT_LIMIT}`;
      return undefined;
    case 'whatsapp':
      if (!WHATSAPP_DIGITS.test(request.toAddress))
        return 'the WhatsApp address must be the number as digits without "+"';
      if (hasTemplate && !request.messagingTemplate?.responseId)
        return 'the WhatsApp template has no responseId';
      if (length > TEXT_LIMIT) return `the text is ${length} characters; at most ${TEXT_LIMIT} allowed`;
      return undefined;
    case 'open':
      if (hasTemplate) return 'Open Messaging takes text only';
      if (!request.toAddress) return 'no Open Messaging id';
      if (length > TEXT_LIMIT) return `the text is ${length} characters; at most ${TEXT_LIMIT} allowed`;
      return undefined;
  }
}

/** Why a `webmessaging` channel entry can never be used, as said to operators. */
export const WEBMESSAGING_NOT_AGENTLESS =
  'web messaging cannot receive proactive (agentless) messages: the platform removed web messaging as an agentless target in 2022';
