/** Template variables from the customer's contact and web messaging history. */
import { type TemplateValues, usesCostlyVariable } from '../rules/template.js';
import type { ProactiveRule } from '../rules/types.js';
import type { HistoryService, WebMessagingVisit } from './history.js';
import type { CustomerProfile } from './identity.js';
import { localDate } from './local-time.js';
import type { WrapupCodeDirectory } from './wrapup-codes.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The values a rule's templates may use, for one customer; costly ones only when a template uses them. */
export async function templateValues(
  /** The rule, and the conversation that triggered it (its last customer message is the one quoted). */
  candidate: { rule: ProactiveRule; conversationId?: string },
  profile: CustomerProfile,
  visits: WebMessagingVisit[],
  zone: string,
  deps: { codes: WrapupCodeDirectory; history: HistoryService },
): Promise<TemplateValues> {
  const { rule } = candidate;
  const last = visits[0];
  const values: TemplateValues = {
    'contact.id': profile.contactId,
    'contact.firstName': profile.firstName,
    'contact.lastName': profile.lastName,
    'history.count': visits.length,
    'history.withinDays': rule.history.withinDays,
    'rule.id': rule.id,
  };
  if (last) {
    values['history.lastConversationAt'] = iso(last.startedAt);
    values['history.lastConversationDate'] = localDate(last.startedAt, zone);
    const wrapped = visits.find((v) => v.wrapupCode);
    if (wrapped?.wrapupCode) values['history.lastWrapupCode'] = await deps.codes.nameOf(wrapped.wrapupCode);
  }
  const texts = [rule.message.text, ...(rule.message.whatsappTemplate?.bodyParameters ?? [])];
  const source = candidate.conversationId ?? last?.conversationId;
  if (source && texts.some(usesCostlyVariable)) {
    values['history.lastCustomerMessage'] = await deps.history.lastCustomerMessage(source);
  }
  return values;
}
