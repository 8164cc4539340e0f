import { type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';
import { linkSignals } from './linked-signal.js';
import { fetchDispatcherFor, type ProxyChoice } from './proxy.js';

/**
 * One HTTP exchange over Node's global fetch (undici), with a per-request timeout, a parsed body and lowercase
 * headers. No retries, no auth, no pacing: those belong to the request pipeline above it.
 *
 * When HTTPS_PROXY / HTTP_PROXY applies to the URL (and NO_PROXY does not name its host), the exchange goes through
 * that proxy instead, on undici's own fetch with a ProxyAgent (see `proxy.ts`); otherwise through the global fetch.
 */

export interface HttpExchange {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | URLSearchParams | FormData | undefined;
  timeoutMs: number;
  /** Aborts the exchange early (client closed, caller gave up). */
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  statusText: string;
  /** Response headers with lowercase names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the text otherwise, `undefined` when empty (HEAD, 204). */
  body: unknown;
}

export type TransportFailure = 'timeout' | 'aborted' | 'not_sent' | 'network';

/** No HTTP response arrived. `kind` says whether the request may have reached the server. */
export class TransportError extends Error {
  readonly kind: TransportFailure;
  /** False only when the request certainly never left (connection refused, DNS failure). */
  readonly maybeSent: boolean;

  constructor(kind: TransportFailure, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
    this.kind = kind;
    this.maybeSent = kind !== 'not_sent';
  }
}

/** Error codes that mean the connection was never established, so the request was not sent. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The status a proxy answered to CONNECT, when that is why the exchange failed (undici says it in words only). */
function tunnelRefusal(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const match = /Proxy response \((\d{3})\) !== 200/.exec(
      String((current as { message?: unknown }).message),
    );
    if (match) return Number(match[1]);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function classify(
  error: unknown,
  timedOut: boolean,
  aborted: boolean,
  timeoutMs: number,
  proxy: ProxyChoice | undefined,
): TransportError {
  const via = proxy ? ` through proxy ${proxy.display}` : '';
  if (timedOut) return new TransportError('timeout', `no response within ${timeoutMs} ms${via}`, error);
  if (aborted) return new TransportError('aborted', 'request aborted', error);
  const code = errorCode(error);
  if (proxy) {
    // The proxy answered CONNECT with something else than 200 (407: it wants credentials; 403: not allowed there).
    const status = tunnelRefusal(error);
    if (status !== undefined)
      return new TransportError('not_sent', `proxy ${proxy.display} refused the tunnel (${status})`, error);
    // Connecting at all is connecting to the proxy: the target is out of sight until the tunnel is up.
    if (code && NOT_SENT_CODES.has(code))
      return new TransportError('not_sent', `cannot connect to proxy ${proxy.display} (${code})`, error);
  }
  if (code && NOT_SENT_CODES.has(code))
    return new TransportError('not_sent', `cannot connect (${code})`, error);
  return new TransportError('network', `network error${code ? ` (${code})` : ''}${via}`, error);
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Performs one exchange. Resolves with any HTTP status; rejects only with TransportError. */
export async function sendHttp(exchange: HttpExchange): Promise<HttpReply> {
  let route: ReturnType<typeof fetchDispatcherFor>;
  try {
    route = fetchDispatcherFor(exchange.url);
  } catch (error) {
    throw new TransportError('not_sent', `unusable proxy setting: ${(error as Error).message}`, error);
  }
  const linked = linkSignals([exchange.signal]);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    linked.abort(new Error('timeout'));
  }, exchange.timeoutMs);
  try {
    const init = {
      method: exchange.method,
      headers: exchange.headers,
      body: exchange.body,
      signal: linked.signal,
      redirect: 'manual',
    } satisfies RequestInit;
    const response = route
      ? await undiciFetch(exchange.url, { ...init, dispatcher: route.dispatcher } as UndiciRequestInit)
      : await fetch(exchange.url, init);
    const text = exchange.method === 'HEAD' ? '' : await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return {
      status: response.status,
      statusText: response.statusText,
      headers,
      body: parseBody(text, headers['content-type']),
    };
  } catch (error) {
    throw classify(error, timedOut, linked.signal.aborted, exchange.timeoutMs, route?.proxy);
  } finally {
    clearTimeout(timer);
    linked.dispose();
  }
}
