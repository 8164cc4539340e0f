/**
 * `webmessaging-reply`: the honest form of "message the live web messaging session". Agentless messages cannot
 * reach web messaging, but a participant can write in a conversation:
 * `POST /api/v2/conversations/messages/{id}/communications/{communicationId}/messages` — which needs a user
 * context (an agent or bot user on the conversation). The operator supplies such a credential; without it, or
 * when the user is not on the customer's active conversation, the channel is skipped with that reason. A reply the
 * platform refuses because the conversation closed in the meantime is {@link REPLY_CONVERSATION_CLOSED}: nothing
 * was sent, and the decision goes on to the rule's next channel.
 */
import { GenesysApiError } from '../../errors.js';
import type { Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';
import { outcomeOfError, type SendOutcome } from './agentless.js';

/** The reason code of a reply the platform refused because the conversation or communication is no longer active. */
export const REPLY_CONVERSATION_CLOSED = 'reply_conversation_closed';

/** Words of a 400 that says the conversation or communication is over (the platform's wording is unverified). */
const CLOSED_WORDS =
  /\b(disconnected|terminated|no longer active|not active|inactive|has ended|is closed)\b/i;

/**
 * Whether the platform refused a reply because the conversation or the communication is no longer active: a 404
 * (gone) or 409 (ended) on the send, or a 400 that says so. Nothing was sent: the refusal is definite.
 */
export function isClosedRefusal(error: unknown): error is GenesysApiError {
  if (!(error instanceof GenesysApiError)) return false;
  if (error.status === 404 || error.status === 409) return true;
  if (error.status !== 400) return false;
  const said = (error.body as { message?: unknown } | undefined)?.message;
  return CLOSED_WORDS.test(`${error.platformCode ?? ''} ${typeof said === 'string' ? said : error.message}`);
}

/** A credential that acts as a user (a platform client whose token carries that user). */
export interface UserContextCredential {
  /** The user the credential acts as; must be a participant of the conversation. */
  userId: string;
  client: PlatformRequester;
}

/** Where a reply would go, or why it cannot. */
export type ReplyTarget =
  | { ok: true; conversationId: string; communicationId: string }
  | { ok: false; reason: string };

const ENDED_STATES = new Set(['disconnected', 'terminated']);

/** Replies inside active web messaging conversations as the configured user. */
export class WebMessagingReplier {
  constructor(private readonly credential: UserContextCredential | undefined) {}

  /** The user the replies are sent as, when a credential is configured. */
  get userId(): string | undefined {
    return this.credential?.userId;
  }

  /** Finds the configured user's live message communication on the conversation. */
  async locate(conversationId: string): Promise<ReplyTarget> {
    if (!this.credential) {
      return {
        ok: false,
        reason:
          'no user-context credential is configured: replying in a web messaging conversation needs an agent or bot user who is a participant (a client-credentials token cannot)',
      };
    }
    let conversation: Models.Conversation | undefined;
    try {
      conversation = (
        await this.credential.client.request<Models.Conversation>({
          method: 'GET',
          path: `/api/v2/conversations/${encodeURIComponent(conversationId)}`,
        })
      ).body;
    } catch (error) {
      return { ok: false, reason: `could not read the active conversation: ${(error as Error).message}` };
    }
    for (const participant of conversation?.participants ?? []) {
      if (participant.userId !== this.credential.userId || participant.endTime) continue;
      const communication = (participant.messages ?? []).find(
        (m) => m.id && !ENDED_STATES.has(String(m.state ?? '').toLowerCase()),
      );
      if (communication?.id) return { ok: true, conversationId, communicationId: communication.id };
    }
    return {
      ok: false,
      reason: `user ${this.credential.userId} is not an active participant of the customer's web messaging conversation`,
    };
  }

  /** Sends the reply; never throws. */
  async send(
    target: { conversationId: string; communicationId: string },
    text: string,
  ): Promise<SendOutcome> {
    if (!this.credential)
      return { status: 'failed', reasonCode: 'no_credential', reason: 'no credential', retryable: false };
    try {
      const reply = await this.credential.client.request<Models.MessageData>({
        method: 'POST',
        path: `/api/v2/conversations/messages/${encodeURIComponent(target.conversationId)}/communications/${encodeURIComponent(target.communicationId)}/messages`,
        body: { textBody: text },
      });
      const outcome: SendOutcome = { status: 'sent', conversationId: target.conversationId };
      if (reply.body?.id) outcome.messageId = reply.body.id;
      return outcome;
    } catch (error) {
      if (isClosedRefusal(error)) return closedOutcome(target.conversationId, error);
      return outcomeOfError(error);
    }
  }

  /** Whether the user wrote in the conversation at or after `since` (reconciliation of an in-doubt reply). */
  async sentSince(conversationId: string, since: number): Promise<{ messageId?: string } | undefined> {
    if (!this.credential) return undefined;
    const conversation = await this.credential.client.request<Models.MessageConversation>({
      method: 'GET',
      path: `/api/v2/conversations/messages/${encodeURIComponent(conversationId)}`,
    });
    for (const participant of conversation.body?.participants ?? []) {
      if (participant.user?.id !== this.credential.userId) continue;
      const message = (participant.messages ?? []).find((m) => Date.parse(m.messageTime ?? '') >= since);
      if (message) return message.messageId ? { messageId: message.messageId } : {};
    }
    return undefined;
  }
}

/** A refused reply into a conversation that is over: not sent, not retryable, and the rule's next channel may go. */
function closedOutcome(conversationId: string, error: GenesysApiError): SendOutcome {
  const said = (error.body as { message?: unknown } | undefined)?.message;
  const words = typeof said === 'string' ? said : error.message;
  const outcome: SendOutcome = {
    status: 'failed',
    reasonCode: REPLY_CONVERSATION_CLOSED,
    reason: `the customer's web messaging conversation ${conversationId} is no longer active: the reply was refused (${`${error.status} ${error.platformCode ?? ''}`.trim()}: ${words})`,
    retryable: false,
  };
  if (error.platformCode) outcome.platformCode = error.platformCode;
  if (error.correlationId) outcome.correlationId = error.correlationId;
  return outcome;
}
