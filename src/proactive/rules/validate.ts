/**
 * Rules validation shared by the YAML loader and the TypeScript API: the zod schema first, then the checks that
 * span fields, then normalisation (defaults, milliseconds). Every problem is collected, not just the first, and
 * each names the rule and field it is in.
 */
import type { z } from 'zod';
import { parseDuration, parseTimeOfDay } from './duration.js';
import { type RuleIssue, RulesValidationError } from './errors.js';
import {
  KNOWN_FIELDS,
  type PolicyInput,
  type RuleInput,
  type RulesFileInput,
  rulesFileSchema,
  type SettingsInput,
} from './schema.js';
import { templateProblems } from './template.js';
import type { ProactiveRule, ProactiveSettings, QuietHours, RulePolicy, RuleSet } from './types.js';

/** Finds where a path is in the source text, when there is one. */
export type Locator = (
  path: (string | number)[],
  at: 'key' | 'value',
) => { line: number; column: number } | undefined;

export interface ValidateOptions {
  /** File name for messages. */
  source?: string;
  locate?: Locator;
}

/** Built-in policy when neither the rule nor `defaults` says. */
export const DEFAULT_POLICY: Readonly<RulePolicy> = Object.freeze({
  cooldownMs: 7 * 86_400_000,
  dailyCap: 1,
  quietHours: { startMinute: 21 * 60, endMinute: 8 * 60 },
  useExistingActiveConversation: false,
});

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function suggestion(key: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_FIELDS) {
    const d = distance(key.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Turns zod issues into rule issues, unknown keys one issue per key with its own location. */
function schemaIssues(error: z.ZodError, input: unknown): RuleIssue[] {
  const issues: RuleIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: [...path, key], message: `unknown field "${key}"${suggestion(key)}`, at: 'key' });
      }
      continue;
    }
    let message = issue.message;
    const got = valueAt(input, path);
    if (got === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
      message = 'required field is missing';
    } else if (
      issue.code === 'invalid_value' ||
      issue.code === 'invalid_type' ||
      issue.code === 'invalid_format'
    ) {
      message += ` (got ${JSON.stringify(got)})`;
    }
    issues.push({ path, message });
  }
  return issues;
}

const list = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

function quietHours(input: PolicyInput['quietHours']): QuietHours | undefined | false {
  if (input === undefined) return undefined;
  if (input === false) return false;
  return { startMinute: parseTimeOfDay(input.start)!, endMinute: parseTimeOfDay(input.end)! };
}

function resolvePolicy(rule: PolicyInput | undefined, defaults: PolicyInput | undefined): RulePolicy {
  const cooldown = rule?.cooldown ?? defaults?.cooldown;
  const ruleQuiet = quietHours(rule?.quietHours);
  const defaultQuiet = quietHours(defaults?.quietHours);
  const quiet =
    ruleQuiet !== undefined
      ? ruleQuiet
      : defaultQuiet !== undefined
        ? defaultQuiet
        : DEFAULT_POLICY.quietHours;
  const policy: RulePolicy = {
    cooldownMs: cooldown !== undefined ? parseDuration(cooldown)! : DEFAULT_POLICY.cooldownMs,
    dailyCap: rule?.dailyCap ?? defaults?.dailyCap ?? DEFAULT_POLICY.dailyCap,
    useExistingActiveConversation:
      rule?.useExistingActiveConversation ??
      defaults?.useExistingActiveConversation ??
      DEFAULT_POLICY.useExistingActiveConversation,
  };
  if (quiet) policy.quietHours = quiet;
  return policy;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Checks that span fields; returns issues and warnings. */
function semanticIssues(file: RulesFileInput): { issues: RuleIssue[]; warnings: string[] } {
  const issues: RuleIssue[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  const zone = file.settings?.timeZone;
  if (zone !== undefined && !isTimeZone(zone)) {
    issues.push({
      path: ['settings', 'timeZone'],
      message: `"${zone}" is not an IANA time zone (e.g. "Europe/Dublin", "America/New_York", "UTC")`,
    });
  }
  for (const [section, value] of [
    ['defaults', file.defaults],
    ...file.rules.map((rule, i) => [`rules.${i}`, rule.policy] as const),
  ] as const) {
    const q = value?.quietHours;
    if (q && q.start === q.end) {
      const base = section === 'defaults' ? ['defaults'] : ['rules', Number(section.split('.')[1]), 'policy'];
      issues.push({
        path: [...base, 'quietHours'],
        message: 'start and end are equal: the window would be empty',
      });
    }
  }
  file.rules.forEach((rule, index) => {
    const at = (...path: (string | number)[]) => ['rules', index, ...path];
    const add = (path: (string | number)[], message: string) =>
      issues.push({ path, message, ruleId: rule.id });
    const previous = seen.get(rule.id);
    if (previous !== undefined) add(at('id'), `duplicate rule id; rules[${previous}] already uses it`);
    else seen.set(rule.id, index);

    const { trigger } = rule;
    const filters = (['mediaType', 'messageType', 'queueId', 'wrapupCode'] as const).filter(
      (f) => trigger[f] !== undefined,
    );
    if ((trigger.event === undefined) === (trigger.schedule === undefined)) {
      add(
        at('trigger'),
        'expected exactly one of "event" (a lifecycle event) or "schedule" (a periodic sweep)',
      );
    } else if (trigger.schedule) {
      for (const f of filters)
        add(
          at('trigger', f),
          'filters apply to event triggers; a schedule sweeps web messaging conversations',
        );
      const every = parseDuration(trigger.schedule.every)!;
      if (every < 60_000) add(at('trigger', 'schedule', 'every'), 'expected at least "1m" between sweeps');
    } else if (trigger.wrapupCode !== undefined && trigger.event !== 'conversation.wrapup') {
      add(
        at('trigger', 'wrapupCode'),
        `a wrap-up code filter needs event "conversation.wrapup" (got "${trigger.event}")`,
      );
    }

    for (const problem of templateProblems(rule.message.text)) add(at('message', 'text'), problem);
    rule.message.whatsappTemplate?.bodyParameters?.forEach((parameter, i) => {
      for (const problem of templateProblems(parameter))
        add(at('message', 'whatsappTemplate', 'bodyParameters', i), problem);
    });

    const channels = new Set<string>();
    rule.channels.forEach((channel, i) => {
      if (channels.has(channel)) add(at('channels', i), `channel "${channel}" is listed twice`);
      channels.add(channel);
    });
    if (channels.has('webmessaging')) {
      warnings.push(
        `rule "${rule.id}": web messaging cannot receive agentless messages (removed by the platform in 2022); ` +
          (channels.size === 1
            ? 'with no other channel this rule can only skip. Add open, whatsapp or sms.'
            : 'it will be skipped with that reason and the next channel tried.'),
      );
    }
    if (channels.has('whatsapp') && !rule.message.whatsappTemplate) {
      warnings.push(
        `rule "${rule.id}": WhatsApp without message.whatsappTemplate can only reach customers who wrote on WhatsApp in the last 24 hours.`,
      );
    }
    if (channels.has('webmessaging-reply') && !file.settings?.webmessagingReply) {
      warnings.push(
        `rule "${rule.id}": webmessaging-reply needs settings.webmessagingReply.userId and a user-context credential; without them it is skipped.`,
      );
    }
  });
  return { issues, warnings };
}

function resolveSettings(input: SettingsInput | undefined): ProactiveSettings {
  const settings: ProactiveSettings = {
    timeZone: input?.timeZone ?? 'UTC',
    sendsPerMinute: input?.sendsPerMinute ?? 30,
    concurrency: input?.concurrency ?? 4,
    senders: { ...input?.senders },
    optOutList: [...(input?.optOutList ?? [])],
    contactAttributes: {
      optOut: input?.contactAttributes?.optOut ?? 'customFields.marketingOptOut_checkbox',
      timeZone: input?.contactAttributes?.timeZone ?? 'customFields.timeZone_text',
    },
    history: {
      chunkDays: input?.history?.chunkDays ?? 7,
      pageSize: input?.history?.pageSize ?? 100,
      cacheMs: (input?.history?.cacheSeconds ?? 300) * 1000,
    },
    reconcile: {
      graceMs: (input?.reconcile?.graceSeconds ?? 600) * 1000,
      skewMs: (input?.reconcile?.skewSeconds ?? 120) * 1000,
      maxAttempts: input?.reconcile?.maxAttempts ?? 3,
    },
  };
  if (input?.webmessagingReply) settings.webmessagingReply = { ...input.webmessagingReply };
  return settings;
}

function normaliseRule(rule: RuleInput, defaults: PolicyInput | undefined): ProactiveRule {
  const t = rule.trigger;
  const trigger: ProactiveRule['trigger'] = t.schedule
    ? {
        kind: 'schedule',
        everyMs: parseDuration(t.schedule.every)!,
        lookbackMs: parseDuration(t.schedule.lookback)!,
      }
    : { kind: 'event', event: t.event! };
  if (trigger.kind === 'event') {
    for (const f of ['mediaType', 'messageType', 'queueId', 'wrapupCode'] as const) {
      const values = list(t[f]);
      if (values) trigger[f] = values;
    }
  }
  const history: ProactiveRule['history'] = {
    withinDays: rule.history?.withinDays ?? 30,
    minConversations: rule.history?.minConversations ?? 0,
  };
  if (rule.history?.lastWrapupCodeIn) history.lastWrapupCodeIn = [...rule.history.lastWrapupCodeIn];
  if (rule.history?.lastContactOlderThan)
    history.lastContactOlderThanMs = parseDuration(rule.history.lastContactOlderThan)!;
  const normalised: ProactiveRule = {
    id: rule.id,
    enabled: rule.enabled ?? true,
    trigger,
    history,
    channels: [...rule.channels],
    message: { text: rule.message.text },
    policy: resolvePolicy(rule.policy, defaults),
  };
  if (rule.description !== undefined) normalised.description = rule.description;
  if (rule.message.whatsappTemplate) {
    normalised.message.whatsappTemplate = {
      responseId: rule.message.whatsappTemplate.responseId,
      bodyParameters: [...(rule.message.whatsappTemplate.bodyParameters ?? [])],
    };
  }
  return normalised;
}

function ruleIdOf(input: unknown, path: (string | number)[]): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
  const id = valueAt(input, ['rules', path[1], 'id']);
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Validates rules given as data (parsed YAML or a TypeScript object); throws RulesValidationError. */
export function validateRules(input: unknown, options: ValidateOptions = {}): RuleSet {
  const finish = (issues: RuleIssue[]): never => {
    for (const issue of issues) {
      if (options.source) issue.file = options.source;
      issue.ruleId ??= ruleIdOf(input, issue.path);
      const position = options.locate?.(issue.path, issue.at ?? 'value');
      if (position) {
        issue.line = position.line;
        issue.column = position.column;
      }
      delete issue.at;
    }
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new RulesValidationError(issues, options.source);
  };
  const parsed = rulesFileSchema.safeParse(input);
  if (!parsed.success) return finish(schemaIssues(parsed.error, input));
  const { issues, warnings } = semanticIssues(parsed.data);
  if (issues.length > 0) return finish(issues);
  const set: RuleSet = {
    rules: parsed.data.rules.map((rule) => normaliseRule(rule, parsed.data.defaults)),
    settings: resolveSettings(parsed.data.settings),
    warnings,
  };
  if (options.source) set.source = options.source;
  return set;
}

/** The TypeScript form of a rules file, checked the same way as YAML. */
export function defineRules(input: RulesFileInput): RuleSet {
  return validateRules(input);
}
