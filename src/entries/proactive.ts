/**
 * genesys-switchboard/proactive: the proactive engagement engine — rules (YAML or TypeScript), the engine that
 * decides and sends over agentless outbound, and the ledger every decision is recorded in. The engine takes the
 * platform client and a store's ledger (`ledgerOf(openSqliteStore({path}))`) from the main entry point.
 */
export {
  type Candidate,
  DEFAULT_POLICY,
  type Decision,
  defineRules,
  describeEntry,
  type EventTrigger,
  formatDecision,
  formatEntry,
  type HistoryCondition,
  LiveSessionTracker,
  loadRulesFile,
  type PlatformRequester,
  ProactiveEngine,
  type ProactiveEngineOptions,
  type ProactiveRule,
  type ProactiveSettings,
  parseRules,
  type QuietHours,
  RULE_CHANNELS,
  type RuleChannel,
  type RuleInput,
  type RuleIssue,
  type RulePolicy,
  type RuleSet,
  type RulesFileInput,
  RulesValidationError,
  type RunOptions,
  type RunSummary,
  renderTemplate,
  type ScheduleTrigger,
  TEMPLATE_VARIABLES,
  type UserContextCredential,
  validateRules,
} from '../proactive/index.js';
export { ledgerOf } from '../store/open-store.js';
export {
  CONTACTED_STATUSES,
  LEDGER_STATUSES,
  type LedgerEntry,
  type LedgerEvent,
  type LedgerQuery,
  type LedgerStatus,
  type LedgerStore,
} from '../store/store.js';
