/**
 * Calls a route of a Router directly, the way the shell dispatches (after checking the request against the platform's
 * definition of the operation), with a fake caller.
 */
import assert from 'node:assert/strict';
import { validateRouteRequest } from '../../../src/emulator/request-validation.js';
import type { CallerIdentity, EmulatorResponse, Route, Router } from '../../../src/emulator/router.js';
import {
  createWorld,
  ManualClock,
  type World,
  type WorldSettings,
} from '../../../src/emulator/world/index.js';

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string>;
  caller?: Partial<CallerIdentity>;
}

export interface CallResult extends EmulatorResponse {
  route: Route;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies freely
  json: any;
}

/** A client-credentials caller with every permission. */
export const serviceCaller: CallerIdentity = {
  clientId: 'test-client',
  permissions: new Set(['*']),
  tokenId: 't1',
};

export async function call(router: Router, method: string, pathAndQuery: string, options: CallOptions = {}) {
  const url = new URL(pathAndQuery, 'http://emulator.test');
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const match = router.match(method, url.pathname);
  assert.ok(match && 'route' in match, `no route for ${method} ${url.pathname}`);
  const caller = { ...serviceCaller, ...options.caller };
  const invalid = validateRouteRequest(match.route, url.searchParams, options.body);
  if (invalid) return { ...invalid, route: match.route, json: invalid.body } as CallResult;
  const response = await match.route.handler({
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: {},
    body: options.body,
    params: match.params,
    caller: match.route.auth ? caller : undefined,
    correlationId: 'test-correlation',
  });
  return { ...response, route: match.route, json: response.body } as CallResult;
}

/** Asserts a platform error body with the given status and code. */
export function assertPlatformError(result: CallResult, status: number, code: string): void {
  assert.equal(result.status, status, JSON.stringify(result.json));
  assert.equal(result.json.status, status);
  assert.equal(result.json.code, code);
  assert.equal(typeof result.json.message, 'string');
  assert.ok(result.json.message.length > 10, 'the message explains the problem');
  assert.deepEqual(result.json.details, []);
  assert.deepEqual(result.json.errors, []);
}

/** A small quiet world on a manual clock (its routes are registered with `registerWorldRoutes`). */
export function smallWorld(settings: Partial<WorldSettings> = {}) {
  const clock = new ManualClock(Date.UTC(2025, 2, 10, 15, 0, 0));
  const published: { topic: string; body: unknown }[] = [];
  const world: World = createWorld(
    {
      seed: 7,
      agents: 8,
      queues: 3,
      contacts: 24,
      historyDays: 3,
      historyConversationsPerDay: 40,
      ...settings,
    },
    { publish: (topic, body) => published.push({ topic, body }) },
    clock,
  );
  return { world, clock, published };
}
