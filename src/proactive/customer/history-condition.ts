/** Whether a customer's web messaging history satisfies a rule, with the reason either way. */
import { formatAge, formatDuration } from '../rules/duration.js';
import type { HistoryCondition } from '../rules/types.js';
import type { WebMessagingVisit } from './history.js';

export interface HistoryVerdict {
  ok: boolean;
  /** What the history showed, said for the ledger and the dry-run plan. */
  reason: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Checks `visits` (the customer's web messaging conversations in the window, newest first, the triggering
 * conversation already left out). `codeMatches` tells whether a wrap-up code id is one the rule wants.
 */
export async function checkHistory(
  condition: HistoryCondition,
  visits: readonly WebMessagingVisit[],
  now: number,
  codeMatches: (codeId: string | undefined) => Promise<boolean>,
  codeName: (codeId: string) => Promise<string>,
): Promise<HistoryVerdict> {
  const facts: string[] = [
    `${plural(visits.length, 'web messaging conversation')} in the last ${plural(condition.withinDays, 'day')}`,
  ];
  if (visits.length < condition.minConversations) {
    return { ok: false, reason: `${facts[0]}; the rule needs at least ${condition.minConversations}` };
  }
  const last = visits[0];
  if (condition.lastWrapupCodeIn) {
    const lastWrapped = visits.find((v) => v.wrapupCode !== undefined);
    const code = lastWrapped?.wrapupCode;
    const shown = code ? `"${await codeName(code)}"` : 'none';
    if (!(await codeMatches(code))) {
      return {
        ok: false,
        reason: `last wrap-up code was ${shown}; the rule needs one of ${condition.lastWrapupCodeIn.map((c) => `"${c}"`).join(', ')}`,
      };
    }
    facts.push(`last wrap-up code ${shown}`);
  }
  if (condition.lastContactOlderThanMs !== undefined && last) {
    const age = now - last.startedAt;
    if (age < condition.lastContactOlderThanMs) {
      return {
        ok: false,
        reason: `last web messaging conversation was ${formatAge(age)} ago; the rule waits until it is older than ${formatDuration(condition.lastContactOlderThanMs)}`,
      };
    }
    facts.push(`last one ${formatAge(age)} ago`);
  }
  return { ok: true, reason: facts.join('; ') };
}
