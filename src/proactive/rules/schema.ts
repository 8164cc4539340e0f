/**
 * The shape of a rules file (and of the same rules given through the TypeScript API), as zod schemas. Objects
 * are strict so that a misspelt field is an error, not a silently ignored setting; semantic checks that span
 * fields (exactly one trigger kind, filters that fit the event, template variables) live in `validate.ts`.
 */
import { z } from 'zod';
import { LIFECYCLE_EVENT_TYPES } from '../../events.js';
import { parseDuration, parseTimeOfDay } from './duration.js';

/** Channels a rule may list, in the order it prefers them. */
export const RULE_CHANNELS = ['open', 'whatsapp', 'sms', 'webmessaging-reply', 'webmessaging'] as const;
export type RuleChannel = (typeof RULE_CHANNELS)[number];

/** Channels agentless outbound messaging can reach. */
export const AGENTLESS_CHANNELS = ['open', 'whatsapp', 'sms'] as const;
export type AgentlessChannel = (typeof AGENTLESS_CHANNELS)[number];

const duration = (example: string) =>
  z.string().refine((value) => parseDuration(value) !== undefined, {
    message: `expected a duration such as "${example}" (a number followed by ms, s, m, h or d)`,
  });

const timeOfDay = z.string().refine((value) => parseTimeOfDay(value) !== undefined, {
  message: 'expected a time of day as "HH:MM" (24-hour clock), e.g. "21:00"',
});

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  message: 'expected a string or a non-empty list of strings',
});

const quietHoursSchema = z.strictObject({ start: timeOfDay, end: timeOfDay });

/** Policy fields; every one optional here, filled from `defaults` and then from built-in defaults. */
export const policySchema = z.strictObject({
  /** No second message from the same rule to the same customer within this time. */
  cooldown: duration('7d').optional(),
  /** Most messages (all rules) to one customer in any 24 hours. */
  dailyCap: z.number().int().min(1).optional(),
  /** No sends between start and end in the customer's time zone; `false` turns inherited quiet hours off. */
  quietHours: z.union([quietHoursSchema, z.literal(false)]).optional(),
  /** Send into an active conversation on the same channel instead of opening a new one (default false). */
  useExistingActiveConversation: z.boolean().optional(),
});

const triggerSchema = z.strictObject({
  /** A lifecycle event type. */
  event: z.enum(LIFECYCLE_EVENT_TYPES).optional(),
  mediaType: stringOrList.optional(),
  messageType: stringOrList.optional(),
  queueId: stringOrList.optional(),
  /** Wrap-up code ids or names (conversation.wrapup only). */
  wrapupCode: stringOrList.optional(),
  /** A periodic sweep over analytics instead of an event. */
  schedule: z
    .strictObject({
      every: duration('1h'),
      lookback: duration('7d'),
    })
    .optional(),
});

const historySchema = z.strictObject({
  /** Window the other history conditions look at (default 30). */
  withinDays: z.number().int().min(1).max(366).optional(),
  /** At least this many web messaging conversations in the window (the triggering one not counted). */
  minConversations: z.number().int().min(0).optional(),
  /** The last conversation's wrap-up code is one of these (ids or names). */
  lastWrapupCodeIn: z.array(z.string().min(1)).min(1).optional(),
  /** The last web messaging conversation started longer ago than this. */
  lastContactOlderThan: duration('1d').optional(),
});

const messageSchema = z.strictObject({
  text: z.string().min(1, { message: 'expected a non-empty message text' }),
  /** An approved WhatsApp template: used on WhatsApp (required outside the customer's 24-hour window). */
  whatsappTemplate: z
    .strictObject({
      responseId: z.string().min(1),
      bodyParameters: z.array(z.string()).optional(),
    })
    .optional(),
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, {
    message: 'expected letters, digits, ".", "-" or "_" (e.g. "win-back")',
  }),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  trigger: triggerSchema,
  history: historySchema.optional(),
  channels: z.array(z.enum(RULE_CHANNELS)).min(1, { message: 'expected at least one channel' }),
  message: messageSchema,
  policy: policySchema.optional(),
});

const sendersSchema = z.strictObject({
  sms: z.strictObject({ fromAddress: z.string().min(1) }).optional(),
  whatsapp: z.strictObject({ integrationId: z.string().min(1) }).optional(),
  open: z.strictObject({ integrationId: z.string().min(1) }).optional(),
});

export const settingsSchema = z.strictObject({
  /** The org's time zone (IANA), for customers whose contact has none. Default UTC. */
  timeZone: z.string().min(1).optional(),
  /** Global ceiling on messages sent per minute (agentless limits are not documented). Default 30. */
  sendsPerMinute: z.number().positive().optional(),
  /** Customers processed at once. Default 4. */
  concurrency: z.number().int().min(1).max(64).optional(),
  /** Sender of each agentless channel; discovered from the org's listings when left out. */
  senders: sendersSchema.optional(),
  /** External contact ids, phone numbers or messaging ids that must never be contacted. */
  optOutList: z.array(z.string().min(1)).optional(),
  /** Where consent and time zone live on an external contact (dotted paths). */
  contactAttributes: z
    .strictObject({ optOut: z.string().min(1).optional(), timeZone: z.string().min(1).optional() })
    .optional(),
  /** The user whose credential replies inside active web messaging conversations (`webmessaging-reply`). */
  webmessagingReply: z.strictObject({ userId: z.string().min(1) }).optional(),
  history: z
    .strictObject({
      chunkDays: z.number().int().min(1).max(31).optional(),
      pageSize: z.number().int().min(1).max(200).optional(),
      cacheSeconds: z.number().min(0).optional(),
    })
    .optional(),
  reconcile: z
    .strictObject({
      /** How long analytics may lag behind a send before "not found" means "not sent". Default 600. */
      graceSeconds: z.number().min(0).optional(),
      /** Clock difference tolerated between this host and the platform. Default 120. */
      skewSeconds: z.number().min(0).optional(),
      /** Send attempts per decision, the first included. Default 3. */
      maxAttempts: z.number().int().min(1).max(10).optional(),
    })
    .optional(),
});

export const rulesFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  settings: settingsSchema.optional(),
  /** Policy every rule starts from. */
  defaults: policySchema.optional(),
  rules: z.array(ruleSchema).min(1, { message: 'expected at least one rule' }),
});

/** A rule as written (YAML or TypeScript). */
export type RuleInput = z.input<typeof ruleSchema>;
/** A rules file as written. */
export type RulesFileInput = z.input<typeof rulesFileSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type PolicyInput = z.input<typeof policySchema>;

/** Every field name the schema knows, for "did you mean" hints. */
export const KNOWN_FIELDS: readonly string[] = [
  ...Object.keys(rulesFileSchema.shape),
  ...Object.keys(settingsSchema.shape),
  ...Object.keys(sendersSchema.shape),
  'fromAddress',
  'integrationId',
  'optOut',
  'userId',
  'chunkDays',
  'pageSize',
  'cacheSeconds',
  'graceSeconds',
  'skewSeconds',
  'maxAttempts',
  ...Object.keys(ruleSchema.shape),
  ...Object.keys(triggerSchema.shape),
  'every',
  'lookback',
  ...Object.keys(historySchema.shape),
  ...Object.keys(messageSchema.shape),
  'responseId',
  'bodyParameters',
  ...Object.keys(policySchema.shape),
  'start',
  'end',
];
