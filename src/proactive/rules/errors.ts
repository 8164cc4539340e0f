/** The error a rules file (or rules object) fails with: every problem found, each with where it is. */
import { ConfigError } from '../../errors.js';

/** One problem: where (file, line, rule, field) and what was expected. */
export interface RuleIssue {
  /** Path inside the document, e.g. `['rules', 0, 'trigger', 'event']`. */
  path: (string | number)[];
  message: string;
  /** The id of the rule the problem is in, when it has one. */
  ruleId?: string;
  file?: string;
  /** 1-based, when the rules came from YAML text. */
  line?: number;
  column?: number;
  /** Point at the key of the last path element rather than its value (unknown fields). */
  at?: 'key' | 'value';
}

/** Renders a path the way a reader finds it in the file: `rules[0].trigger.event`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out || '(top level)';
}

/** One issue on one line: `rules.yaml:12:9: rule "win-back" (rules[0].trigger.event): expected ...`. */
export function formatIssue(issue: RuleIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line !== undefined ? `:${issue.line}:${issue.column ?? 1}` : ''}: `
    : '';
  const rule = issue.ruleId !== undefined ? `rule "${issue.ruleId}" ` : '';
  const field = issue.path.length > 0 ? `(${formatPath(issue.path)}): ` : '';
  return `${where}${rule}${field}${issue.message}`;
}

/** The rules could not be used; `issues` lists every problem. */
export class RulesValidationError extends ConfigError {
  readonly issues: RuleIssue[];

  constructor(issues: RuleIssue[], source?: string) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      `${source ? `Rules file ${source}` : 'Rules'} invalid (${count}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
      {
        hint: 'Fix each field named above; examples/rules.yaml shows every field with comments.',
      },
    );
    this.issues = issues;
  }
}
