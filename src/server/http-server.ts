/**
 * The service's HTTP face on node:http: `/healthz` and `/readyz` for probes (open), and behind the access token
 * when one is set: `/metrics`, the JSON API under `/api/`, the dashboard's event stream and the dashboard itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../logging.js';
import { AccessControl } from './access.js';
import type { EventFilter } from './recent-events.js';
import type { SseHub } from './sse.js';
import type { StaticFile } from './static-files.js';

/** Whether the service is ready, and why not. */
export interface Readiness {
  ready: boolean;
  /** Why not (or `ok`). */
  reason: string;
  [key: string]: unknown;
}

/** Everything the server serves; the service implements it. */
export interface ApiBackend {
  readiness(): Readiness;
  overview(): unknown;
  health(): unknown;
  channels(): unknown;
  events(filter: EventFilter): unknown;
  ledger(query: { status?: string[]; ruleId?: string; limit?: number }): Promise<unknown>;
  metricsText(): Promise<{ body: string; contentType: string }>;
  readonly sse: SseHub;
  /** The messages a new dashboard connection starts from. */
  sseHello(): string;
  /** Fault injection (demo mode only; absent otherwise). */
  injectFault?: (command: unknown) => Promise<unknown>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  token?: string;
  backend: ApiBackend;
  /** The dashboard's files by URL path; without them `/` answers 404. */
  files?: Map<string, StaticFile>;
  logger?: Logger;
}

/** A listening server. */
export interface RunningHttpServer {
  server: Server;
  /** `http://host:port` (the loopback address when bound to every interface). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

const MAX_BODY_BYTES = 16 * 1024;

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function list(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : Number.NaN;
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      try {
        resolve(chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('body is not valid JSON'));
      }
    });
    request.on('error', reject);
  });
}

/** Whether a Host header names this machine (`localhost`, `127.x.x.x`, `[::1]`, with any port). */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** Starts the server and resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const log = (options.logger ?? silentLogger()).child({ component: 'http' });
  const access = new AccessControl(options.token);
  const { backend, files } = options;
  // Without a token the only protection is the loopback bind; a web page whose name was re-pointed at 127.0.0.1
  // (DNS rebinding) would get through it, so a foreign Host header is refused.
  const checkHost = !access.required;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://switchboard.invalid');
    const method = request.method ?? 'GET';
    const path = url.pathname;

    if (path === '/healthz') return send(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      const readiness = backend.readiness();
      return send(response, readiness.ready ? 200 : 503, readiness);
    }

    if (checkHost && !isLoopbackHostHeader(request.headers.host)) {
      return send(response, 421, {
        error: 'misdirected request',
        reason: 'without server.token the dashboard answers only to localhost or 127.0.0.1 in the address',
      });
    }
    const decision = access.check(request, url);
    if (decision.kind === 'login') {
      response.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': decision.cookie,
        Location: decision.location,
      });
      response.end();
      return;
    }
    if (decision.kind === 'deny') {
      return send(
        response,
        401,
        { error: 'unauthorized', reason: decision.reason },
        { 'WWW-Authenticate': 'Bearer realm="switchboard"' },
      );
    }

    if (path === '/metrics' && method === 'GET') {
      const { body, contentType } = await backend.metricsText();
      response.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      response.end(body);
      return;
    }
    if (path.startsWith('/api/')) return api(request, response, url, method);

    if (method !== 'GET' && method !== 'HEAD') return send(response, 405, { error: 'method not allowed' });
    const file = files?.get(path === '/' ? '/index.html' : path);
    if (!file) return send(response, 404, { error: 'not found', path });
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': 'no-cache',
    });
    response.end(method === 'HEAD' ? undefined : file.body);
  };

  const api = async (request: IncomingMessage, response: ServerResponse, url: URL, method: string) => {
    const q = url.searchParams;
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'GET /api/health':
        return send(response, 200, backend.health());
      case 'GET /api/overview':
        return send(response, 200, backend.overview());
      case 'GET /api/channels':
        return send(response, 200, backend.channels());
      case 'GET /api/events': {
        const limit = positiveInt(q.get('limit'));
        const after = q.get('after') === null ? undefined : Number(q.get('after'));
        if (Number.isNaN(limit) || (after !== undefined && !Number.isInteger(after))) {
          return send(response, 400, {
            error: 'limit must be a positive integer and after a sequence number',
          });
        }
        const filter: EventFilter = {};
        const types = list(q.get('type'));
        const queues = list(q.get('queue'));
        const media = list(q.get('media'));
        if (types) filter.types = types;
        if (queues) filter.queues = queues;
        if (media) filter.media = media;
        if (limit !== undefined) filter.limit = limit;
        if (after !== undefined) filter.after = after;
        return send(response, 200, backend.events(filter));
      }
      case 'GET /api/ledger': {
        const limit = positiveInt(q.get('limit'));
        if (Number.isNaN(limit)) return send(response, 400, { error: 'limit must be a positive integer' });
        const status = list(q.get('status'));
        const ruleId = q.get('rule');
        return send(
          response,
          200,
          await backend.ledger({
            ...(status ? { status } : {}),
            ...(ruleId ? { ruleId } : {}),
            ...(limit !== undefined ? { limit } : {}),
          }),
        );
      }
      case 'GET /api/stream':
        backend.sse.accept(request, response, backend.sseHello());
        return;
      case 'POST /api/faults': {
        if (!backend.injectFault) {
          return send(response, 404, { error: 'fault injection is only available in demo mode' });
        }
        if (!String(request.headers['content-type'] ?? '').includes('application/json')) {
          return send(response, 415, { error: 'send the fault as application/json' });
        }
        let body: unknown;
        try {
          body = await readJson(request);
        } catch (error) {
          return send(response, 400, { error: (error as Error).message });
        }
        try {
          return send(response, 200, await backend.injectFault(body));
        } catch (error) {
          return send(response, 400, { error: (error as Error).message });
        }
      }
      default:
        return send(response, 404, { error: 'not found', path: url.pathname });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error, path: request.url?.split('?')[0] }, 'request failed');
      if (!response.headersSent) send(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost =
    options.host === '0.0.0.0' || options.host === '::'
      ? '127.0.0.1'
      : options.host.includes(':')
        ? `[${options.host}]`
        : options.host;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        backend.sse.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
