/**
 * Picks the channel: the rule's channels in order, each checked for an address, a sender and the channel's
 * rules; the first that can carry the message wins, and every channel passed over is noted with why (web
 * messaging always is: it cannot receive agentless messages).
 */

import type { HistoryService } from '../customer/history.js';
import type { CustomerProfile } from '../customer/identity.js';
import type { AgentlessChannel, RuleChannel } from '../rules/schema.js';
import { renderTemplate, type TemplateValues } from '../rules/template.js';
import type { ProactiveRule } from '../rules/types.js';
import { type AgentlessRequest, agentlessProblem, WEBMESSAGING_NOT_AGENTLESS } from './channel-rules.js';
import type { WebMessagingReplier } from './reply.js';
import type { SenderDirectory } from './senders.js';

/** A chosen channel with everything needed to send, or why no channel can be used. */
export type ChannelPlan =
  | {
      ok: true;
      channel: AgentlessChannel;
      request: AgentlessRequest;
      /** Text the customer reads (the rendered template for WhatsApp templates). */
      text: string;
      toAddress: string;
      notes: string[];
    }
  | {
      ok: true;
      channel: 'webmessaging-reply';
      target: { conversationId: string; communicationId: string };
      text: string;
      notes: string[];
    }
  | { ok: false; reasonCode: 'no_channel' | 'template_value_missing'; reason: string; notes: string[] };

type WithoutNotes<T> = T extends unknown ? Omit<T, 'notes'> : never;
type ChosenChannel = WithoutNotes<Extract<ChannelPlan, { ok: true }>>;

export interface PlanInput {
  rule: ProactiveRule;
  profile: CustomerProfile;
  values: TemplateValues;
  /** The customer's active web messaging conversation, if the live tracker knows one. */
  activeConversationId?: string;
  now: number;
  /** Only the channels the rule lists after this one (a decision going on after that channel was refused). */
  after?: RuleChannel;
}

export interface ChannelPlannerDeps {
  senders: SenderDirectory;
  replier: WebMessagingReplier;
  history: HistoryService;
}

/** Chooses a channel for a message. */
export class ChannelPlanner {
  constructor(private readonly deps: ChannelPlannerDeps) {}

  async plan(input: PlanInput): Promise<ChannelPlan> {
    const { rule, values } = input;
    const rendered = renderTemplate(rule.message.text, values);
    if (!rendered.ok) {
      return {
        ok: false,
        reasonCode: 'template_value_missing',
        reason: `the message needs ${rendered.missing.map((m) => `{{${m}}}`).join(', ')}, which this customer has no value for (add a fallback: {{${rendered.missing[0]} | "..."}})`,
        notes: [],
      };
    }
    const notes: string[] = [];
    const channels =
      input.after === undefined ? rule.channels : rule.channels.slice(rule.channels.indexOf(input.after) + 1);
    for (const channel of channels) {
      const result = await this.tryChannel(channel, input, rendered.text);
      if (typeof result === 'string') notes.push(`${channel}: ${result}`);
      else return { ...result, notes };
    }
    return {
      ok: false,
      reasonCode: 'no_channel',
      reason: `no channel of the rule can reach this customer (${notes.join('; ')})`,
      notes,
    };
  }

  /** A plan without notes, or the reason the channel cannot be used. */
  private async tryChannel(
    channel: RuleChannel,
    input: PlanInput,
    text: string,
  ): Promise<ChosenChannel | string> {
    if (channel === 'webmessaging') return `${WEBMESSAGING_NOT_AGENTLESS}; trying the next channel`;
    if (channel === 'webmessaging-reply') {
      if (!this.deps.replier.userId) {
        return 'needs a user-context credential (an agent or bot user on the conversation); none is configured';
      }
      if (!input.activeConversationId) return 'the customer has no active web messaging conversation';
      const target = await this.deps.replier.locate(input.activeConversationId);
      if (!target.ok) return target.reason;
      return { ok: true, channel, target, text };
    }
    const address = input.profile.addresses[channel];
    if (!address)
      return `the contact has no ${channel === 'open' ? 'Open Messaging id' : `${channel} number`}`;
    const sender = await this.deps.senders.sender(channel);
    if (!sender.ok) return sender.reason;
    const request: AgentlessRequest = {
      fromAddress: sender.fromAddress,
      toAddress: address,
      toAddressMessengerType: channel,
      useExistingActiveConversation: input.rule.policy.useExistingActiveConversation,
    };
    let shown = text;
    if (channel === 'whatsapp' && input.rule.message.whatsappTemplate) {
      const { responseId, bodyParameters } = input.rule.message.whatsappTemplate;
      const parameters: string[] = [];
      for (const parameter of bodyParameters) {
        const value = renderTemplate(parameter, input.values);
        if (!value.ok) return `template parameter needs {{${value.missing[0]}}}, which has no value`;
        parameters.push(value.text);
      }
      request.messagingTemplate = { responseId, bodyParameters: parameters.map((value) => ({ value })) };
      shown = `[WhatsApp template ${responseId}] ${parameters.join(' | ')}`.trim();
    } else if (channel === 'whatsapp') {
      const open = await this.deps.history.whatsappWindowOpen(input.profile.contactId, input.now);
      if (!open) {
        return 'outside the 24-hour WhatsApp window free text is refused, and the rule has no message.whatsappTemplate';
      }
      request.textBody = text;
    } else {
      request.textBody = text;
    }
    const problem = agentlessProblem(request);
    if (problem) return problem;
    return { ok: true, channel, request, text: shown, toAddress: address };
  }
}
