/**
 * Why this stays beside the emulator (src/emulator), which plays the platform for the other platform-layer tests
 * (token provider, request pipeline, SDK integration, redaction): it misbehaves in ways the emulator, which always
 * answers in the platform's shape, will not.
 * - error-mapping.test.ts needs replies the platform's gateway would never send as the emulator builds them: one
 *   without an `ININ-Correlation-Id` header (the id then comes from the body's `contextId`), a chosen correlation id,
 *   and `messageParams` holding a list (the emulator's permission errors give a comma-separated string).
 * - rate-budget.test.ts holds the pacer to sub-second windows (200 per 1 s, 50 per 500 ms sliding), and needs an
 *   `inin-ratelimit-reset` with fractions of a second: the emulator reports whole seconds, as the platform does
 *   with its one-minute windows, and a reset of 1 s on a 500 ms window leaves the client's budget waiting with
 *   requests queued (seen with the emulator's sliding mode; the 1 s fixed window works but paces at half speed).
 *
 * A small Genesys Cloud look-alike on 127.0.0.1 for the platform layer's tests: the OAuth client-credentials
 * endpoint (HTTP Basic, form body, `{error, description}` refusals), bearer checks on `/api/v2`, a per-token
 * fixed-window rate limit with `inin-ratelimit-*` headers and 429 + Retry-After, `ININ-Correlation-Id` on every
 * response, platform-shaped error bodies, and scripted faults. Routes are added per test.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Raw body text. */
  text: string;
  /** Parsed JSON body, when JSON. */
  body: unknown;
  params: Record<string, string>;
  token: string | undefined;
  /** performance.now() when the request arrived. */
  at: number;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the socket instead of answering (a network failure). */
  drop?: boolean;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeGenesysOptions {
  clientId?: string;
  clientSecret?: string;
  tokenLifetimeSeconds?: number;
  /** Delay of the token endpoint, to widen races. */
  tokenDelayMs?: number;
  /** Enforced per token; without it every response reports a generous budget. */
  rateLimit?: RateLimitRule;
}

/** `fixed`: windows start at the first request after the previous one ended; `sliding`: any `windowMs` span. */
export interface RateLimitRule {
  allowed: number;
  windowMs: number;
  mode?: 'fixed' | 'sliding';
}

interface Route {
  method: string;
  segments: string[];
  handler: FakeHandler;
}

/** Platform error body in the shape Genesys Cloud uses. */
export function platformErrorBody(
  status: number,
  code: string,
  message: string,
  messageParams: Record<string, unknown> = {},
): Record<string, unknown> {
  return { message, code, status, messageParams, contextId: randomUUID(), details: [], errors: [] };
}

export class FakeGenesys {
  readonly clientId: string;
  readonly clientSecret: string;
  tokenLifetimeSeconds: number;
  tokenDelayMs: number;
  rateLimit: RateLimitRule | undefined;

  /** Every token request's Authorization header and body. */
  readonly tokenRequests: Array<{
    authorization: string | undefined;
    body: string;
    contentType: string | undefined;
  }> = [];
  /** Every `/api/v2` request, in arrival order. */
  readonly requests: FakeRequest[] = [];
  /** 429s sent (enforced or scripted). */
  tooManyRequests = 0;
  readonly issuedTokens: string[] = [];

  private server: Server | undefined;
  private readonly routes: Route[] = [];
  private readonly scripts = new Map<string, FakeResponse[]>();
  private readonly validTokens = new Map<string, number>();
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly arrivals = new Map<string, number[]>();
  private readonly sockets = new Set<import('node:net').Socket>();
  baseUrl = '';

  constructor(options: FakeGenesysOptions = {}) {
    this.clientId = options.clientId ?? 'client-4f1c';
    this.clientSecret = options.clientSecret ?? 'secret-Zx9-very-private';
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 86_400;
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
    this.rateLimit = options.rateLimit;
  }

  /** Adds a route; `{name}` segments become params. */
  on(method: string, pattern: string, handler: FakeHandler): this {
    this.routes.push({ method: method.toUpperCase(), segments: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The next requests to `METHOD path` get these responses, in order, before the route answers. */
  script(method: string, path: string, responses: FakeResponse[]): this {
    const key = `${method.toUpperCase()} ${path}`;
    this.scripts.set(key, [...(this.scripts.get(key) ?? []), ...responses]);
    return this;
  }

  /** Makes the platform forget a token (as after revocation or expiry). */
  revoke(token: string): void {
    this.validTokens.delete(token);
  }

  requestsTo(method: string, path: string): FakeRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const correlationId = randomUUID();

    if (method === 'POST' && url.pathname === '/oauth/token') {
      return this.token(req, res, text, correlationId);
    }
    const authorization = req.headers.authorization;
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    let body: unknown;
    try {
      body = text && /json/.test(req.headers['content-type'] ?? '') ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const request: FakeRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      text,
      body,
      params: {},
      token,
      at,
    };
    this.requests.push(request);

    const expiry = token ? this.validTokens.get(token) : undefined;
    if (!token || expiry === undefined || expiry <= Date.now()) {
      return this.send(res, correlationId, {
        status: 401,
        body: platformErrorBody(401, 'bad.credentials', 'Invalid login credentials.'),
      });
    }
    const limitHeaders = this.countAgainstLimit(token, at);
    if (limitHeaders.limited) {
      this.tooManyRequests++;
      return this.send(res, correlationId, {
        status: 429,
        headers: { ...limitHeaders.headers, 'Retry-After': limitHeaders.retryAfter },
        body: platformErrorBody(
          429,
          'too.many.requests.retry.after',
          `Rate limit exceeded the maximum. Retry the request in [${limitHeaders.retryAfter}] seconds`,
        ),
      });
    }
    const scripted = this.scripts.get(`${method} ${url.pathname}`);
    if (scripted && scripted.length > 0) {
      const next = scripted.shift()!;
      if (next.status === 429) this.tooManyRequests++;
      return this.send(res, correlationId, next, limitHeaders.headers);
    }
    const match = this.match(method, url.pathname);
    if (!match) {
      return this.send(
        res,
        correlationId,
        { status: 404, body: platformErrorBody(404, 'not.found', `No route for ${method} ${url.pathname}`) },
        limitHeaders.headers,
      );
    }
    request.params = match.params;
    return this.send(res, correlationId, await match.route.handler(request), limitHeaders.headers);
  }

  private async token(
    req: IncomingMessage,
    res: ServerResponse,
    text: string,
    correlationId: string,
  ): Promise<void> {
    this.tokenRequests.push({
      authorization: req.headers.authorization,
      body: text,
      contentType: req.headers['content-type'],
    });
    if (this.tokenDelayMs > 0) await new Promise((r) => setTimeout(r, this.tokenDelayMs));
    const scripted = this.scripts.get('POST /oauth/token');
    if (scripted && scripted.length > 0) return this.send(res, correlationId, scripted.shift()!);
    const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return this.send(res, correlationId, {
        status: 401,
        body: { error: 'invalid_client', description: 'client not found or bad secret' },
      });
    }
    if (new URLSearchParams(text).get('grant_type') !== 'client_credentials') {
      return this.send(res, correlationId, {
        status: 400,
        body: { error: 'unsupported_grant_type', description: 'grant_type must be client_credentials' },
      });
    }
    const token = `tok-${randomUUID()}`;
    this.issuedTokens.push(token);
    this.validTokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return this.send(res, correlationId, {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds },
    });
  }

  private countAgainstLimit(
    token: string,
    now: number,
  ): { limited: boolean; headers: Record<string, string>; retryAfter: string } {
    const limit = this.rateLimit ?? { allowed: 100_000, windowMs: 60_000 };
    let count: number;
    let resetSeconds: number;
    if (limit.mode === 'sliding') {
      const recent = (this.arrivals.get(token) ?? []).filter((t) => t > now - limit.windowMs);
      recent.push(now);
      this.arrivals.set(token, recent);
      count = recent.length;
      resetSeconds = Math.max(0, (recent[0]! + limit.windowMs - now) / 1000);
    } else {
      let window = this.windows.get(token);
      if (!window || now >= window.start + limit.windowMs) {
        window = { start: now, count: 0 };
        this.windows.set(token, window);
      }
      window.count++;
      count = window.count;
      resetSeconds = Math.max(0, (window.start + limit.windowMs - now) / 1000);
    }
    const headers = {
      'inin-ratelimit-count': String(Math.min(count, limit.allowed)),
      'inin-ratelimit-allowed': String(limit.allowed),
      'inin-ratelimit-reset': resetSeconds.toFixed(3),
    };
    return {
      limited: this.rateLimit !== undefined && count > limit.allowed,
      headers,
      retryAfter: String(Math.max(1, Math.ceil(resetSeconds))),
    };
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      route.segments.forEach((segment, i) => {
        const part = parts[i]!;
        if (segment.startsWith('{') && segment.endsWith('}'))
          params[segment.slice(1, -1)] = decodeURIComponent(part);
        else if (segment !== part) ok = false;
      });
      if (ok) return { route, params };
    }
    return undefined;
  }

  private async send(
    res: ServerResponse,
    correlationId: string,
    response: FakeResponse,
    extraHeaders: Record<string, string> = {},
  ): Promise<void> {
    if (response.delayMs) await new Promise((r) => setTimeout(r, response.delayMs));
    if (response.drop) {
      res.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = { 'ININ-Correlation-Id': correlationId, ...extraHeaders };
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      // An empty value removes the header (e.g. a response without a correlation id).
      if (value === '') {
        for (const existing of Object.keys(headers))
          if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      } else headers[name] = value;
    }
    let payload = '';
    if (response.body !== undefined) {
      payload = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      headers['Content-Type'] ??= typeof response.body === 'string' ? 'text/plain' : 'application/json';
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}

/** Starts a FakeGenesys; the caller closes it. */
export async function startFakeGenesys(options: FakeGenesysOptions = {}): Promise<FakeGenesys> {
  return new FakeGenesys(options).start();
}
