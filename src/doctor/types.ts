/**
 * The vocabulary of `switchboard doctor`: a check's outcome, the report it adds up to, and the plan of what the
 * configuration enables (which decides which checks apply).
 */
import type { ResolvedRegion } from '../platform/region.js';
import type { RuleSet } from '../proactive/rules/types.js';
import type { TopicSelection } from '../stream/topic-selector.js';

/** `fail` is a blocker (non-zero exit); `warn` works but deserves a look; `skip` did not apply or could not run. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One line of the checklist. */
export interface CheckResult {
  /** Stable id for scripts (`credentials`, `analytics`, `sender-sms`, ...). */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in a sentence or two. */
  detail: string;
  /** What to change, exactly (permission strings, the setting and its value), when something is to be done. */
  fix?: string;
}

/** A notification channel doctor created with `--probe-topics` and could not remove (the platform has no DELETE). */
export interface LeftBehindChannel {
  id: string;
  /** ISO-8601 expiry the platform gave, when it gave one. */
  expires?: string;
}

/** Everything doctor found. */
export interface DoctorReport {
  /** Version of this document's shape. */
  version: 1;
  /** False when any check failed. */
  ok: boolean;
  region?: { name: string; apiBaseUrl: string; loginBaseUrl: string };
  clientId?: string;
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
  /** REST requests doctor made (token requests not included). */
  requests: number;
  leftBehind: LeftBehindChannel[];
}

/** What the configuration enables, resolved before anything connects. */
export interface DoctorPlan {
  /** Where the settings came from, for the report's first lines. */
  source: string;
  region: ResolvedRegion;
  clientId: string;
  clientSecret: string;
  /** The requests a minute the client is configured to allow itself, when set. */
  requestsPerMinute?: number;
  /** The stream's topic selection; undefined when the stream is not run (a rules-only check). */
  selection?: TopicSelection;
  /** Whether gap backfill is on (it is unless the service config turns it off). */
  backfill: boolean;
  /** The proactive rules, when a rules file is configured. */
  rules?: RuleSet;
}

/** Options that change what doctor does, beyond the plan. */
export interface DoctorOptions {
  /** Create one notification channel to subscribe the needed topics for real (it stays 24 hours). */
  probeTopics: boolean;
}
