/**
 * The world's own admin routes under `/__emulator/` (no token needed): the oracles and the controls tests use.
 *
 * - `GET  /__emulator/ground-truth?since=<iso>&until=<iso>` → `{facts, total}`
 * - `GET  /__emulator/outbound` → `{sends, total}` (every accepted agentless send)
 * - `POST /__emulator/conversations` `{kind, externalContactId?, queueId?, userId?, wrapupCode?, durationMs?, ...}`
 *   → 201 `{conversationId}`
 * - `POST /__emulator/traffic` `{conversationsPerMinute}` → `{conversationsPerMinute}`
 * - `POST /__emulator/burst` `{n}` → `{published}`
 */
import { platformError, type Router } from '../router.js';
import { ScriptError, type World } from '../world/index.js';

const open = { auth: false, rateLimited: false };
const BURST_MAX = 1_000_000;

function parseTime(value: string | null, name: string): number | undefined | Error {
  if (value === null || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? new Error(`${name} must be an ISO-8601 date-time`) : t;
}

/** Registers the admin routes. */
export function registerAdminRoutes(router: Router, world: World): void {
  router.add(
    'GET',
    '/__emulator/ground-truth',
    (request) => {
      const since = parseTime(request.query.get('since'), 'since');
      const until = parseTime(request.query.get('until'), 'until');
      for (const bound of [since, until])
        if (bound instanceof Error) return platformError(400, 'invalid.value', bound.message);
      const window: { since?: number; until?: number } = {};
      if (typeof since === 'number') window.since = since;
      if (typeof until === 'number') window.until = until;
      const facts = world.groundTruth(window);
      return { status: 200, body: { facts, total: facts.length } };
    },
    open,
  );

  router.add(
    'GET',
    '/__emulator/outbound',
    () => {
      const sends = world.outbound();
      return { status: 200, body: { sends, total: sends.length } };
    },
    open,
  );

  router.add(
    'POST',
    '/__emulator/conversations',
    (request) => {
      try {
        return { status: 201, body: world.startScriptedConversation(request.body as never) };
      } catch (error) {
        if (error instanceof ScriptError)
          return platformError(400, 'invalid.value', error.message, { field: error.field });
        throw error;
      }
    },
    open,
  );

  router.add(
    'POST',
    '/__emulator/traffic',
    (request) => {
      const rate = (request.body as { conversationsPerMinute?: unknown } | undefined)?.conversationsPerMinute;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0)
        return platformError(400, 'invalid.value', 'conversationsPerMinute must be a number >= 0');
      world.setTraffic(rate);
      return { status: 200, body: { conversationsPerMinute: rate } };
    },
    open,
  );

  router.add(
    'POST',
    '/__emulator/burst',
    (request) => {
      const n = (request.body as { n?: unknown } | undefined)?.n;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > BURST_MAX)
        return platformError(400, 'invalid.value', `n must be an integer between 1 and ${BURST_MAX}`);
      world.burst(n);
      return { status: 200, body: { published: n } };
    },
    open,
  );
}
