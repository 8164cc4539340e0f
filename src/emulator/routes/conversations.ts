/**
 * Conversation routes: `GET /api/v2/conversations/{id}` (wrap-up codes included), the message conversation view,
 * bulk message fetch, and sending inside a message conversation as a participant (refused with 409 once the
 * conversation, or the sender's communication, has ended).
 */
import { platformError, type Router } from '../router.js';
import { type ConversationMessageRefusal, renderMessageData, type World } from '../world/index.js';
import { renderConversation, renderMessageConversation } from '../world/render.js';

/** What the platform requires of each (any one of a list). The message conversation view requires nothing. */
export const CONVERSATION_PERMISSIONS = {
  view: ['conversation:communication:view'],
  viewMessages: ['conversation:message:view', 'conversation:webmessaging:view'],
  send: ['conversation:message:create', 'conversation:webmessaging:create'],
} as const;

/** At most this many ids in one bulk message request. */
export const BULK_MESSAGE_LIMIT = 1000;

/**
 * The platform's status and error code for each reason a message into a conversation is refused. The code and
 * wording for an ended conversation or communication are unverified (tutorials report 409 or 404 there).
 */
const MESSAGE_REFUSALS: Record<ConversationMessageRefusal, { status: number; code: string }> = {
  'not-found': { status: 404, code: 'not.found' },
  'not-participant': { status: 403, code: 'not.authorized' },
  closed: { status: 409, code: 'conflict' },
  'invalid-text': { status: 400, code: 'invalid.value' },
};

const notFound = (id: string) => platformError(404, 'not.found', `Conversation ${id} not found`, { id });

/** Registers the conversation routes. */
export function registerConversationRoutes(router: Router, world: World): void {
  const queueName = (id: string) => world.org.queueById.get(id)?.name;
  const view = { permissions: [...CONVERSATION_PERMISSIONS.view] };

  router.add(
    'GET',
    '/api/v2/conversations/{conversationId}',
    (request) => {
      const conversation = world.conversations.get(request.params.conversationId!);
      return conversation
        ? { status: 200, body: renderConversation(conversation, queueName) }
        : notFound(request.params.conversationId!);
    },
    view,
  );

  router.add('GET', '/api/v2/conversations/messages/{conversationId}', (request) => {
    const conversation = world.conversations.get(request.params.conversationId!);
    if (conversation?.media !== 'message') return notFound(request.params.conversationId!);
    return { status: 200, body: renderMessageConversation(conversation) };
  });

  router.add(
    'POST',
    '/api/v2/conversations/messages/{conversationId}/messages/bulk',
    (request) => {
      const conversation = world.conversations.get(request.params.conversationId!);
      if (conversation?.media !== 'message') return notFound(request.params.conversationId!);
      const ids = request.body;
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
        return platformError(400, 'bad.request', 'The body must be an array of message ids (strings)');
      if (ids.length > BULK_MESSAGE_LIMIT)
        return platformError(400, 'invalid.value', `At most ${BULK_MESSAGE_LIMIT} message ids per request`, {
          max: BULK_MESSAGE_LIMIT,
        });
      const wanted = new Set((ids as string[]).map((id) => id.toLowerCase()));
      const entities = conversation.participants
        .flatMap((p) => p.comm.messages ?? [])
        .filter((m) => wanted.has(m.messageId))
        .sort((a, b) => a.time - b.time)
        .map(renderMessageData);
      return { status: 200, body: { entities } };
    },
    { permissions: [...CONVERSATION_PERMISSIONS.viewMessages] },
  );

  router.add(
    'POST',
    '/api/v2/conversations/messages/{conversationId}/communications/{communicationId}/messages',
    (request) => {
      const body = request.body as { textBody?: unknown } | undefined;
      if (typeof body !== 'object' || body === null)
        return platformError(400, 'bad.request', 'The body must be an object {textBody}');
      const caller = request.caller;
      const result = world.sendConversationMessage(
        request.params.conversationId!,
        request.params.communicationId!,
        body.textBody,
        caller?.userId
          ? { clientId: caller.clientId, userId: caller.userId }
          : { clientId: caller?.clientId ?? '' },
      );
      if (!result.ok) {
        const { status, code } = MESSAGE_REFUSALS[result.reason];
        const refusal = platformError(status, code, result.message, result.messageParams);
        if (result.messageWithParams)
          Object.assign(refusal.body as object, { messageWithParams: result.messageWithParams });
        return refusal;
      }
      return { status: 200, body: result.message };
    },
    { permissions: [...CONVERSATION_PERMISSIONS.send] },
  );
}
