/** Public API of the proactive engagement engine. */
export { type AgentlessRequest, agentlessProblem, SMS_TEXT_LIMIT, TEXT_LIMIT } from './channel-rules.js';
export { type Candidate, customerKey, type Decision, idempotencyKey } from './decision.js';
export { AgentlessDelivery, type SendOutcome } from './delivery.js';
export {
  ProactiveEngine,
  type ProactiveEngineOptions,
  type RunOptions,
  type RunSummary,
  summarise,
} from './engine.js';
export { describeEntry, formatDecision, formatEntry } from './format.js';
export { HistoryService, visitFromAnalytics, type WebMessagingVisit } from './history.js';
export { type CustomerProfile, IdentityResolver, profileFromContact } from './identity.js';
export { LiveSessionTracker } from './live-sessions.js';
export type { PlatformRequester } from './platform-port.js';
export { inQuietHours, localMinuteOfDay, quietUntil } from './quiet-hours.js';
export { redactAddress } from './redact.js';
export { type UserContextCredential, WebMessagingReplier } from './reply.js';
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
export { eventMatches } from './triggers.js';
