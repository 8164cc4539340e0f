/**
 * Scripted conversations: what a caller may ask for (`POST /__emulator/conversations`), checked against the org.
 * Anything left out is chosen at random by the planner, like live traffic.
 */
import { CHANNELS, type Channel } from './model.js';
import type { Org } from './org.js';

export const TRANSFER_KINDS = ['none', 'blind-queue', 'blind-user', 'consult-queue', 'consult-user'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

export interface ConversationScript {
  /** The channel the customer arrives on. */
  kind: Channel;
  /** A known customer (for web messaging: an authenticated, returning customer). */
  externalContactId?: string;
  /** Force an anonymous customer (a web messaging guest). */
  anonymous?: boolean;
  /** First queue; defaults to one of the answering agent's queues, or a random queue. */
  queueId?: string;
  /** The agent who answers. */
  userId?: string;
  /** Wrap-up code id every agent leg of this conversation uses. */
  wrapupCode?: string;
  /** Emulated handling time, from the first answer to the end (default: random for the channel). */
  durationMs?: number;
  transfer?: TransferKind;
  transferQueueId?: string;
  transferUserId?: string;
  /** Make the first offer go unanswered before an agent takes it. */
  missedAlert?: boolean;
  afterCallWork?: 'complete' | 'skipped';
  /** Message conversations: the agent parks the conversation once and resumes when the customer writes. */
  park?: boolean;
}

/** A script that cannot be run, with a message that names the field. */
export class ScriptError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ScriptError';
  }
}

const MAX_DURATION_MS = 24 * 3_600_000;

/** Checks an untrusted script against the org; returns it typed or throws {@link ScriptError}. */
export function validateScript(org: Org, input: unknown): ConversationScript {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ScriptError('The body must be a JSON object with at least "kind"', 'body');
  const raw = input as Record<string, unknown>;
  const kind = raw.kind;
  if (typeof kind !== 'string' || !CHANNELS.includes(kind as Channel))
    throw new ScriptError(`kind must be one of ${CHANNELS.join(', ')}`, 'kind');
  const script: ConversationScript = { kind: kind as Channel };
  const optionalString = (field: keyof ConversationScript) => {
    const value = raw[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '')
      throw new ScriptError(`${field} must be a non-empty string`, field);
    return value;
  };
  const contactId = optionalString('externalContactId');
  if (contactId !== undefined) {
    const contact = org.contactById.get(contactId);
    if (!contact)
      throw new ScriptError(
        `externalContactId ${contactId} is not a contact of this org`,
        'externalContactId',
      );
    if (script.kind === 'whatsapp' && !contact.whatsAppNumber)
      throw new ScriptError(`Contact ${contactId} has no WhatsApp number`, 'externalContactId');
    if (script.kind === 'open' && !contact.openMessagingId)
      throw new ScriptError(`Contact ${contactId} has no Open Messaging id`, 'externalContactId');
    script.externalContactId = contactId;
  }
  if (raw.anonymous !== undefined) {
    if (typeof raw.anonymous !== 'boolean') throw new ScriptError('anonymous must be a boolean', 'anonymous');
    if (raw.anonymous && contactId)
      throw new ScriptError('anonymous excludes externalContactId', 'anonymous');
    script.anonymous = raw.anonymous;
  }
  const queueId = optionalString('queueId');
  if (queueId !== undefined) {
    if (!org.queueById.has(queueId))
      throw new ScriptError(`queueId ${queueId} is not a queue of this org`, 'queueId');
    script.queueId = queueId;
  }
  const userId = optionalString('userId');
  if (userId !== undefined) {
    if (!org.userById.has(userId))
      throw new ScriptError(`userId ${userId} is not a user of this org`, 'userId');
    script.userId = userId;
  }
  const wrapupCode = optionalString('wrapupCode');
  if (wrapupCode !== undefined) {
    if (!org.wrapupCodeById.has(wrapupCode))
      throw new ScriptError(`wrapupCode ${wrapupCode} is not a wrap-up code id of this org`, 'wrapupCode');
    script.wrapupCode = wrapupCode;
  }
  if (raw.durationMs !== undefined) {
    const d = raw.durationMs;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 1000 || d > MAX_DURATION_MS)
      throw new ScriptError(`durationMs must be a number between 1000 and ${MAX_DURATION_MS}`, 'durationMs');
    script.durationMs = Math.round(d);
  }
  if (raw.transfer !== undefined) {
    if (typeof raw.transfer !== 'string' || !(TRANSFER_KINDS as readonly string[]).includes(raw.transfer))
      throw new ScriptError(`transfer must be one of ${TRANSFER_KINDS.join(', ')}`, 'transfer');
    script.transfer = raw.transfer as TransferKind;
  }
  const transferQueueId = optionalString('transferQueueId');
  if (transferQueueId !== undefined) {
    if (!org.queueById.has(transferQueueId))
      throw new ScriptError(
        `transferQueueId ${transferQueueId} is not a queue of this org`,
        'transferQueueId',
      );
    script.transferQueueId = transferQueueId;
  }
  const transferUserId = optionalString('transferUserId');
  if (transferUserId !== undefined) {
    if (!org.userById.has(transferUserId))
      throw new ScriptError(`transferUserId ${transferUserId} is not a user of this org`, 'transferUserId');
    if (transferUserId === userId)
      throw new ScriptError('transferUserId must differ from userId', 'transferUserId');
    script.transferUserId = transferUserId;
  }
  if (
    (script.transfer === 'blind-queue' || script.transfer === 'consult-queue') &&
    org.queues.length < 2 &&
    !transferQueueId
  )
    throw new ScriptError('A queue transfer needs at least two queues', 'transfer');
  for (const flag of ['missedAlert', 'park'] as const) {
    if (raw[flag] === undefined) continue;
    if (typeof raw[flag] !== 'boolean') throw new ScriptError(`${flag} must be a boolean`, flag);
    script[flag] = raw[flag];
  }
  if (raw.afterCallWork !== undefined) {
    if (raw.afterCallWork !== 'complete' && raw.afterCallWork !== 'skipped')
      throw new ScriptError('afterCallWork must be "complete" or "skipped"', 'afterCallWork');
    script.afterCallWork = raw.afterCallWork;
  }
  return script;
}
