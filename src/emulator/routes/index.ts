/**
 * The emulated world's REST routes: the platform's resources (org, divisions, conversations, agentless messages,
 * analytics) and the world's oracles and controls under `/__emulator/`. The shell registers them over the world it
 * built; the world itself knows nothing of HTTP.
 */
import type { Router } from '../router.js';
import type { World } from '../world/index.js';
import { registerAdminRoutes } from './admin.js';
import { registerAgentlessRoutes } from './agentless.js';
import { registerAnalyticsRoutes } from './analytics.js';
import { registerConversationRoutes } from './conversations.js';
import { registerDivisionRoutes } from './divisions.js';
import { registerOrgRoutes } from './org.js';

/** Registers every route of the world on the router. */
export function registerWorldRoutes(router: Router, world: World): void {
  registerOrgRoutes(router, world);
  registerDivisionRoutes(router, world);
  registerConversationRoutes(router, world);
  registerAgentlessRoutes(router, world);
  registerAnalyticsRoutes(router, world);
  registerAdminRoutes(router, world);
}
