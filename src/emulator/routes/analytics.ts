/**
 * Conversation details over everything the world holds, as analytics shows it (behind notifications by its lag):
 * the details query, the multi-get by id and the single read.
 */
import { platformError, type Router } from '../router.js';
import { QueryError, type World } from '../world/index.js';
import { idsFrom } from './paging.js';

/** Either lets a client read conversation details (the agent one limits it to the agent's own, not modelled). */
export const ANALYTICS_PERMISSIONS = [
  'analytics:conversationDetail:view',
  'analytics:agentConversationDetail:view',
];

/** Registers the analytics routes. */
export function registerAnalyticsRoutes(router: Router, world: World): void {
  router.add(
    'POST',
    '/api/v2/analytics/conversations/details/query',
    (request) => {
      try {
        return { status: 200, body: world.queryConversations(request.body) };
      } catch (error) {
        if (error instanceof QueryError)
          return platformError(400, 'bad.request', error.message, { field: error.field });
        throw error;
      }
    },
    { permissions: ANALYTICS_PERMISSIONS },
  );

  router.add(
    'GET',
    '/api/v2/analytics/conversations/details',
    (request) => {
      const ids = idsFrom(request.query, 'id');
      const max = world.settings.analyticsMultiGetMax;
      if (ids.length === 0)
        return platformError(400, 'bad.request', 'At least one conversation id is required (?id=…&id=…).');
      if (ids.length > max)
        return platformError(
          400,
          'bad.request',
          `At most ${max} conversation ids may be requested at once.`,
          {
            max,
          },
        );
      // Conversations analytics does not have (yet) are left out of the answer.
      return { status: 200, body: { conversations: world.analyticsRecords(ids) } };
    },
    { permissions: ANALYTICS_PERMISSIONS },
  );

  router.add(
    'GET',
    '/api/v2/analytics/conversations/{conversationId}/details',
    (request) => {
      const id = request.params.conversationId!;
      const [record] = world.analyticsRecords([id]);
      return record
        ? { status: 200, body: record }
        : platformError(404, 'not.found', `Conversation ${id} was not found.`, { conversationId: id });
    },
    { permissions: ANALYTICS_PERMISSIONS },
  );
}
