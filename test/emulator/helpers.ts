/** Shared helpers for emulator tests: tokens, REST calls and a WebSocket frame collector. */
import { WebSocket } from 'ws';
import { DEFAULT_CLIENT, type Emulator } from '../../src/emulator/index.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** Gets a token for a client (the demo client by default). */
export async function getToken(
  emulator: Emulator,
  clientId = DEFAULT_CLIENT.clientId,
  clientSecret = DEFAULT_CLIENT.clientSecret,
): Promise<string> {
  const response = await fetch(`${emulator.url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Calls the emulator with an optional bearer token and JSON body. */
export async function api(
  emulator: Emulator,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${emulator.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** A platform error body, for assertions. */
export interface ErrorBody {
  message: string;
  code: string;
  status: number;
  messageParams: Record<string, unknown>;
  contextId: string;
  details: unknown[];
  errors: unknown[];
}

/** A notification frame as the client sees it. */
export interface Frame {
  topicName: string;
  version?: string;
  eventBody: Record<string, unknown>;
  metadata?: { CorrelationId: string };
}

/** A connected WebSocket that records frames and lets a test wait for one. */
export class SocketProbe {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** Opens a socket to a `connectUri`. */
  static open(uri: string): Promise<SocketProbe> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(uri);
      const probe = new SocketProbe(socket);
      socket.once('open', () => resolve(probe));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`upgrade refused: ${response.statusCode}`)),
      );
    });
  }

  /** Waits for a frame matching the predicate (already received ones count). */
  async next(predicate: (frame: Frame) => boolean, timeoutMs = 2000): Promise<Frame> {
    await this.until(() => this.frames.some(predicate), timeoutMs, 'frame');
    return this.frames.find(predicate)!;
  }

  /** Waits for the socket to close. */
  async closedWithin(timeoutMs = 2000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== undefined, timeoutMs, 'close');
    return this.closed!;
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): void {
    this.socket.terminate();
  }

  private until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Creates a channel and returns its `{id, connectUri, expires}`. */
export async function createChannel(
  emulator: Emulator,
  token: string,
): Promise<{ id: string; connectUri: string; expires: string }> {
  const response = await api(emulator, 'POST', '/api/v2/notifications/channels', { token });
  if (response.status !== 200) throw new Error(`channel not created: ${response.status} ${response.text}`);
  return response.body as { id: string; connectUri: string; expires: string };
}

/** Subscribes a channel to topics (POST). */
export async function subscribe(emulator: Emulator, token: string, channelId: string, topics: string[]) {
  return api(emulator, 'POST', `/api/v2/notifications/channels/${channelId}/subscriptions`, {
    token,
    body: topics.map((id) => ({ id })),
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
