/** `POST /api/v2/conversations/messages/agentless`: agentless outbound messages (SMS, WhatsApp, Open Messaging). */
import { platformError, type Router } from '../router.js';
import type { AgentlessRefusal, World } from '../world/index.js';

export const AGENTLESS_PERMISSION = 'conversation:message:create';

/** The platform's error code for each reason a send is refused (both are 400s). */
const REFUSAL_CODES: Record<AgentlessRefusal['reason'], string> = {
  malformed: 'bad.request',
  invalid: 'invalid.value',
};

/** Registers the agentless outbound route. */
export function registerAgentlessRoutes(router: Router, world: World): void {
  router.add(
    'POST',
    '/api/v2/conversations/messages/agentless',
    (request) => {
      const caller = request.caller;
      const result = world.sendAgentless(
        request.body,
        caller?.userId
          ? { clientId: caller.clientId, userId: caller.userId }
          : { clientId: caller?.clientId ?? 'anonymous' },
      );
      if (!result.ok) {
        const { reason, message, messageParams } = result.refusal;
        return platformError(400, REFUSAL_CODES[reason], message, messageParams);
      }
      return { status: 200, body: result.response };
    },
    { permissions: [AGENTLESS_PERMISSION] },
  );
}
