/** Rules after validation: defaults applied, durations in milliseconds, filters as lists. */
import type { LifecycleEventType } from '../../events.js';
import type { RuleChannel } from './schema.js';

/** Fires on a lifecycle event that passes every filter given (values within a filter are alternatives). */
export interface EventTrigger {
  kind: 'event';
  event: LifecycleEventType;
  mediaType?: string[];
  messageType?: string[];
  queueId?: string[];
  /** Wrap-up code ids or names. */
  wrapupCode?: string[];
}

/** Sweeps analytics every `everyMs` for customers with web messaging conversations in the last `lookbackMs`. */
export interface ScheduleTrigger {
  kind: 'schedule';
  everyMs: number;
  lookbackMs: number;
}

export type RuleTrigger = EventTrigger | ScheduleTrigger;

/** What the customer's web messaging history must show. */
export interface HistoryCondition {
  withinDays: number;
  minConversations: number;
  /** Wrap-up code ids or names. */
  lastWrapupCodeIn?: string[];
  lastContactOlderThanMs?: number;
}

/** Quiet hours as minutes after local midnight; `start > end` spans midnight. */
export interface QuietHours {
  startMinute: number;
  endMinute: number;
}

export interface RulePolicy {
  cooldownMs: number;
  dailyCap: number;
  quietHours?: QuietHours;
  useExistingActiveConversation: boolean;
}

export interface RuleMessage {
  text: string;
  whatsappTemplate?: { responseId: string; bodyParameters: string[] };
}

export interface ProactiveRule {
  id: string;
  description?: string;
  enabled: boolean;
  trigger: RuleTrigger;
  history: HistoryCondition;
  channels: RuleChannel[];
  message: RuleMessage;
  policy: RulePolicy;
}

/** Engine-wide settings from the rules file. */
export interface ProactiveSettings {
  timeZone: string;
  sendsPerMinute: number;
  concurrency: number;
  senders: {
    sms?: { fromAddress: string };
    whatsapp?: { integrationId: string };
    open?: { integrationId: string };
  };
  optOutList: string[];
  contactAttributes: { optOut: string; timeZone: string };
  webmessagingReply?: { userId: string };
  history: { chunkDays: number; pageSize: number; cacheMs: number };
  reconcile: { graceMs: number; skewMs: number; maxAttempts: number };
}

/** A validated rules file. */
export interface RuleSet {
  rules: ProactiveRule[];
  settings: ProactiveSettings;
  /** Things that are allowed but probably not meant (a rule that can only skip, WhatsApp without template). */
  warnings: string[];
  /** The file the rules came from, when they came from one. */
  source?: string;
}
