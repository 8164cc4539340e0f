/** Public API of the proactive engagement engine. */

export { HistoryService, visitFromAnalytics, type WebMessagingVisit } from './customer/history.js';
export { type CustomerProfile, IdentityResolver, profileFromContact } from './customer/identity.js';
export { LiveSessionTracker } from './customer/live-sessions.js';
export { localMinuteOfDay } from './customer/local-time.js';
export { AgentlessDelivery, type SendOutcome } from './delivery/agentless.js';
export {
  type AgentlessRequest,
  agentlessProblem,
  SMS_TEXT_LIMIT,
  TEXT_LIMIT,
} from './delivery/channel-rules.js';
export { type UserContextCredential, WebMessagingReplier } from './delivery/reply.js';
export {
  ProactiveEngine,
  type ProactiveEngineOptions,
  type RunOptions,
  type RunSummary,
  summarise,
} from './engine.js';
export { type Candidate, customerKey, type Decision, idempotencyKey } from './ledger/decision.js';
export { describeEntry, formatDecision, formatEntry } from './ledger/format.js';
export type { PlatformRequester } from './platform-port.js';
export { inQuietHours, quietUntil } from './policy/quiet-hours.js';
export { redactAddress } from './redact.js';
export { type RuleIssue, RulesValidationError } from './rules/errors.js';
export { loadRulesFile, parseRules } from './rules/load.js';
export {
  AGENTLESS_CHANNELS,
  type AgentlessChannel,
  RULE_CHANNELS,
  type RuleChannel,
  type RuleInput,
  type RulesFileInput,
} from './rules/schema.js';
export { renderTemplate, TEMPLATE_VARIABLES } from './rules/template.js';
export type {
  EventTrigger,
  HistoryCondition,
  ProactiveRule,
  ProactiveSettings,
  QuietHours,
  RulePolicy,
  RuleSet,
  ScheduleTrigger,
} from './rules/types.js';
export { DEFAULT_POLICY, defineRules, validateRules } from './rules/validate.js';
export { eventMatches } from './triggers/event-triggers.js';
