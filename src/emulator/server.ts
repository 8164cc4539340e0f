/**
 * The emulator's HTTP shell: one origin for OAuth, REST and the streaming WebSocket. Every request goes through
 * the same steps as on the platform — correlation id, body limit, bearer token, rate limit, route, permission,
 * validation against the platform's definition of the operation — and every error leaves in the platform's shape, so a client cannot tell the emulator from the real thing.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging.js';
import { authenticate } from './auth/oauth.js';
import { hasAnyPermission } from './auth/permissions.js';
import type { TokenStore } from './auth/tokens.js';
import type { NetworkBlackout, RequestFaults } from './faults.js';
import type { RequestJournal } from './journal.js';
import type { NotificationSocketServer } from './notifications/socket-server.js';
import { RateLimiter, rateLimitedResponse } from './rate-limit.js';
import { validateRouteRequest } from './request-validation.js';
import {
  type CallerIdentity,
  type EmulatorRequest,
  type EmulatorResponse,
  platformError,
  type Route,
  type Router,
} from './router.js';
import type { EmulatorSettings } from './settings.js';

/** What the shell needs to serve requests. */
export interface ShellDependencies {
  router: Router;
  tokens: TokenStore;
  limiter: RateLimiter;
  requestFaults: RequestFaults;
  /** While active, every connection but the admin routes' is cut. */
  blackout: NetworkBlackout;
  settings: Pick<EmulatorSettings, 'maxBodyBytes'>;
  sockets: NotificationSocketServer;
  /** Where every request but the admin routes' is recorded, and every WebSocket upgrade. */
  journal?: RequestJournal;
  logger: Logger;
}

/** A body larger than this many times the limit is not drained any more; the connection is cut instead. */
const DRAIN_FACTOR = 20;

const ADMIN_PREFIX = '/__emulator/';

type BodyRead = { kind: 'ok'; raw: Buffer } | { kind: 'too-large' };

/** Reads a request body, discarding (but still consuming) everything past the limit so a 413 can be answered. */
function readBody(request: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * DRAIN_FACTOR) request.destroy();
    });
    request.on('end', () =>
      resolve(size > limit ? { kind: 'too-large' } : { kind: 'ok', raw: Buffer.concat(chunks) }),
    );
    request.on('error', reject);
  });
}

/** Parses JSON or form bodies; `undefined` for an empty body. Throws on malformed JSON. */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(text));
  if (type.includes('json')) return JSON.parse(text);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(text);
  return text.includes('=') ? Object.fromEntries(new URLSearchParams(text)) : text;
}

/** Finds the route, letting HEAD fall back to GET as HTTP servers do. */
function findRoute(router: Router, method: string, path: string): ReturnType<Router['match']> {
  const match = router.match(method, path);
  if (method !== 'HEAD' || (match && 'route' in match)) return match;
  const get = router.match('GET', path);
  return get && 'route' in get ? get : match;
}

/** Creates the HTTP server (not yet listening). */
export function createEmulatorServer(deps: ShellDependencies): Server {
  const server = createServer((request, response) => {
    if (deps.blackout.active && !(request.url ?? '').startsWith(ADMIN_PREFIX)) {
      request.socket.destroy();
      return;
    }
    handle(deps, request, response).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'emulator request failed outside a handler');
      if (!response.headersSent) {
        send(response, 'GET', String(response.getHeader('ININ-Correlation-Id') ?? ''), internalError());
      } else response.destroy();
    });
  });
  server.on('upgrade', (request, socket, head) => {
    if (deps.blackout.active) {
      socket.destroy();
      return;
    }
    const at = performance.now();
    const status = deps.sockets.handleUpgrade(request, socket, head);
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    deps.journal?.recordUpgrade({
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      status,
      at,
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  return server;
}

function internalError(): EmulatorResponse {
  return platformError(500, 'internal.server.error', 'The server encountered an internal error.');
}

async function handle(
  deps: ShellDependencies,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const correlationId = randomUUID();
  response.setHeader('ININ-Correlation-Id', correlationId);
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname;
  const isAdmin = path.startsWith(ADMIN_PREFIX);
  const cut = isAdmin ? undefined : deps.requestFaults.takeCut(method, path);
  const arrived = { at: performance.now(), text: '' };
  const outcome = await processRequest(
    deps,
    request,
    method,
    path,
    url.searchParams,
    correlationId,
    (raw) => {
      arrived.text = raw.toString('utf8');
    },
  );
  if (!isAdmin) {
    deps.journal?.record({
      method,
      path,
      query: url.searchParams,
      headers: request.headers,
      text: arrived.text,
      status: outcome.status,
      cut: cut !== undefined,
      at: arrived.at,
      correlationId,
    });
  }
  if (cut && !cut.midResponse) {
    response.socket?.destroy();
    return;
  }
  send(response, method, correlationId, outcome, cut !== undefined);
  deps.logger.debug(
    { method, path, status: outcome.status, ms: Math.round(performance.now() - started) },
    'emulator request',
  );
}

async function processRequest(
  deps: ShellDependencies,
  request: IncomingMessage,
  method: string,
  path: string,
  query: URLSearchParams,
  correlationId: string,
  onBody: (raw: Buffer) => void,
): Promise<EmulatorResponse> {
  const isAdmin = path.startsWith(ADMIN_PREFIX);
  const isApi = path.startsWith('/api/');
  const read = await readBody(request, deps.settings.maxBodyBytes);
  if (read.kind === 'ok') onBody(read.raw);
  if (!isAdmin) {
    const delayMs = deps.requestFaults.takeDelay(method, path);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const injected = deps.requestFaults.take(method, path);
    if (injected) return injected;
  }
  if (read.kind === 'too-large') {
    return platformError(
      413,
      'request.entity.too.large',
      `The request body exceeds the maximum size of ${deps.settings.maxBodyBytes} bytes.`,
      { maxBytes: String(deps.settings.maxBodyBytes) },
    );
  }
  let body: unknown;
  try {
    body = parseBody(read.raw, request.headers['content-type']);
  } catch {
    return platformError(400, 'bad.request', 'The request body could not be parsed as JSON.');
  }

  const match = findRoute(deps.router, method, path);
  const route: Route | undefined = match && 'route' in match ? match.route : undefined;
  // The gateway authenticates before it routes: unknown /api paths answer 401 to strangers, 404 to callers.
  const needsAuth = route ? route.auth : isApi;
  let caller: CallerIdentity | undefined;
  if (needsAuth) {
    const authentication = authenticate(request.headers, deps.tokens);
    if ('error' in authentication) return authentication.error;
    caller = authentication.caller;
  }

  let rateHeaders: Record<string, string> | undefined;
  const counted = route ? (route.rateLimited ?? isApi) : isApi;
  if (counted && caller) {
    const decision = deps.limiter.take(caller.tokenId);
    rateHeaders = RateLimiter.headers(decision);
    if (!decision.allowed) return withHeaders(rateLimitedResponse(decision.resetSeconds), rateHeaders);
  }

  const outcome = await dispatch(deps, match, { method, path, query, body, caller, correlationId, request });
  return rateHeaders ? withHeaders(outcome, rateHeaders) : outcome;
}

async function dispatch(
  deps: ShellDependencies,
  match: ReturnType<Router['match']>,
  context: {
    method: string;
    path: string;
    query: URLSearchParams;
    body: unknown;
    caller: CallerIdentity | undefined;
    correlationId: string;
    request: IncomingMessage;
  },
): Promise<EmulatorResponse> {
  if (!match)
    return platformError(404, 'not.found', `No resource matches ${context.method} ${context.path}.`);
  if (!('route' in match)) {
    return platformError(
      405,
      'method.not.allowed',
      `The method ${context.method} is not allowed on ${context.path}.`,
      { allowed: match.allowed.join(', ') },
      { allow: match.allowed.join(', ') },
    );
  }
  const { route, params } = match;
  const { caller } = context;
  if (caller && !hasAnyPermission(caller.permissions, route.permissions)) {
    const single = route.permissions.length === 1;
    const list = route.permissions.join(', ');
    return platformError(
      403,
      single ? 'missing.permissions' : 'missing.any.permissions',
      single
        ? `Unable to perform the requested action. You are missing the following permission(s): [${list}]`
        : `Unable to perform the requested action. You must have at least one of the following permissions assigned: [${list}]`,
      { permissions: list },
    );
  }
  const invalid = validateRouteRequest(route, context.query, context.body);
  if (invalid) return invalid;
  const emulatorRequest: EmulatorRequest = {
    method: context.method,
    path: context.path,
    query: context.query,
    headers: context.request.headers,
    body: context.body,
    params,
    correlationId: context.correlationId,
  };
  if (caller) emulatorRequest.caller = caller;
  try {
    return await route.handler(emulatorRequest);
  } catch (error) {
    deps.logger.error(
      { err: error, method: context.method, route: route.pattern },
      'emulator route handler threw',
    );
    return internalError();
  }
}

function withHeaders(response: EmulatorResponse, headers: Record<string, string>): EmulatorResponse {
  return { ...response, headers: { ...headers, ...response.headers } };
}

/**
 * Writes a response: JSON unless string/Buffer, no body for HEAD and 204, `contextId` = correlation id. `cutMidway`
 * sends the status line, the headers and half the body, then destroys the connection.
 */
function send(
  response: ServerResponse,
  method: string,
  correlationId: string,
  outcome: EmulatorResponse,
  cutMidway = false,
): void {
  for (const [name, value] of Object.entries(outcome.headers ?? {})) response.setHeader(name, value);
  let payload: Buffer | undefined;
  const { body } = outcome;
  if (body !== undefined && outcome.status !== 204 && outcome.status !== 304) {
    if (Buffer.isBuffer(body)) {
      payload = body;
    } else if (typeof body === 'string') {
      payload = Buffer.from(body);
      if (!response.hasHeader('content-type'))
        response.setHeader('content-type', 'text/plain; charset=UTF-8');
    } else {
      if (isPlatformError(body) && !body.contextId) body.contextId = correlationId;
      payload = Buffer.from(JSON.stringify(body));
      if (!response.hasHeader('content-type'))
        response.setHeader('content-type', 'application/json; charset=UTF-8');
    }
  }
  response.statusCode = outcome.status;
  response.setHeader('content-length', payload && method !== 'HEAD' ? payload.length : 0);
  if (cutMidway) {
    const half = method === 'HEAD' || !payload ? Buffer.alloc(0) : payload.subarray(0, payload.length >> 1);
    response.flushHeaders();
    response.write(half, () => response.socket?.destroy());
    if (half.length === 0) response.socket?.destroy();
    return;
  }
  response.end(method === 'HEAD' ? undefined : payload);
}

function isPlatformError(body: unknown): body is { contextId: string; code: string } {
  return typeof body === 'object' && body !== null && 'code' in body && 'contextId' in body;
}
