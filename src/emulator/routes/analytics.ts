/** `POST /api/v2/analytics/conversations/details/query` over everything the world holds. */
import { platformError, type Router } from '../router.js';
import { QueryError, type World } from '../world/index.js';

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
}
