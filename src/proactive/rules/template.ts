/**
 * Message templates: `Hi {{contact.firstName | "there"}}, ...`. Variables come from the customer's external
 * contact and their web messaging history; a value that is missing takes the fallback after `|`, and without
 * one the send is skipped (a message with a hole in it is worse than none).
 */

/** Every variable a template may use, with what it holds. */
export const TEMPLATE_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  'contact.id': 'external contact id',
  'contact.firstName': 'first name of the external contact',
  'contact.lastName': 'last name of the external contact',
  'history.count': 'web messaging conversations in the rule’s history window (the triggering one included)',
  'history.withinDays': 'the rule’s history window in days',
  'history.lastConversationAt': 'start of the last web messaging conversation (ISO-8601 UTC)',
  'history.lastConversationDate': 'date of the last web messaging conversation in the customer’s time zone',
  'history.lastWrapupCode': 'name (or id) of the last wrap-up code',
  'history.lastCustomerMessage': 'last text the customer wrote (read through the bulk message call)',
  'rule.id': 'id of the rule',
});

/** Variables whose value costs extra platform calls; fetched only when a template uses them. */
export const COSTLY_VARIABLES: ReadonlySet<string> = new Set(['history.lastCustomerMessage']);

/** One `{{ ... }}` placeholder. */
export interface Placeholder {
  variable: string;
  fallback?: string;
  /** Offset of `{{` in the template. */
  index: number;
  raw: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.]*)\s*(?:\|\s*(?:"([^"]*)"|'([^']*)'|([^}]*?)))?\s*\}\}/g;

/** The placeholders of a template, in order. */
export function placeholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const placeholder: Placeholder = { variable: match[1]!, index: match.index ?? 0, raw: match[0] };
    const fallback = match[2] ?? match[3] ?? match[4]?.trim();
    if (fallback !== undefined) placeholder.fallback = fallback;
    found.push(placeholder);
  }
  return found;
}

/** Problems of a template: unknown variables and unclosed braces, each with a message naming it. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const placeholder of placeholders(template)) {
    if (!(placeholder.variable in TEMPLATE_VARIABLES)) {
      problems.push(
        `unknown variable {{${placeholder.variable}}}; known: ${Object.keys(TEMPLATE_VARIABLES).join(', ')}`,
      );
    }
  }
  const stripped = template.replace(PLACEHOLDER, '');
  if (stripped.includes('{{') || stripped.includes('}}')) {
    problems.push('a "{{" or "}}" is not part of a valid placeholder such as {{contact.firstName}}');
  }
  return problems;
}

/** Whether a template needs a costly variable. */
export function usesCostlyVariable(template: string): boolean {
  return placeholders(template).some((p) => COSTLY_VARIABLES.has(p.variable));
}

export type TemplateValues = Partial<Record<string, string | number | undefined>>;

/** Outcome of rendering: the text, or the variables that had neither a value nor a fallback. */
export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

/** Fills a template in. */
export function renderTemplate(template: string, values: TemplateValues): RenderResult {
  const missing: string[] = [];
  const text = template.replace(
    PLACEHOLDER,
    (raw, variable: string, dq?: string, sq?: string, bare?: string) => {
      const value = values[variable];
      if (value !== undefined && String(value) !== '') return String(value);
      const fallback = dq ?? sq ?? bare?.trim();
      if (fallback !== undefined) return fallback;
      missing.push(variable);
      return raw;
    },
  );
  return missing.length > 0 ? { ok: false, missing } : { ok: true, text };
}
