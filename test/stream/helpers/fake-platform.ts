/**
 * Why this stays beside the emulator (src/emulator): it sends any bytes a test asks for on a channel's socket
 * (`sendRaw`) — a frame that is not JSON, or JSON without an event body — which the emulator, whose hub only ever
 * sends well-formed notifications, will not. Who still uses it, and for what:
 * - channel-connection-frames.test.ts and replay-source.test.ts count and skip such frames;
 * - websocket-source.test.ts's backfill test reads a followed conversation back through its multi-get, which answers
 *   for any conversation it holds, where the emulator's analytics, like the platform's, has no record yet of a
 *   conversation that has just started.
 * A channel connection (channel-connection.test.ts), the channel pool (channel-pool.test.ts), adopting a channel and
 * connecting only when allowed (channel-connection-adopt.test.ts), the stream's discovery (topic-selector.test.ts)
 * and the pool under faults (emulator-faults.test.ts), and a held stream's restart gap
 * (conversation-stream-checkpoints.test.ts) run against the emulator.
 *
 * A small loopback server with only what those tests need of Genesys Cloud: channels, subscriptions (PUT replaces),
 * HEAD, the paged queue listing, conversations, an analytics details query that finds nothing, the multi-get,
 * and the streaming socket (one socket per channel, heartbeats, pong). Tests steer it through its methods.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FakeChannel {
  id: string;
  topics: string[];
  expiresAt: number;
  socket: WebSocket | undefined;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  at: number;
}

export interface FakePlatformOptions {
  /** Heartbeats on every socket this often (none by default). */
  heartbeatIntervalMs?: number;
}

/** How long a channel lives, as on the platform. */
const CHANNEL_LIFETIME_MS = 24 * 3600_000;
/** Listing page size when a request names none. */
const PAGE_SIZE = 25;

type Responder = (call: RecordedCall) => { status: number; body?: unknown; headers?: Record<string, string> };

/** A platform double on 127.0.0.1, over real HTTP and WebSocket. */
export class FakePlatform {
  readonly channels = new Map<string, FakeChannel>();
  readonly calls: RecordedCall[] = [];
  queues: Array<{ id: string; name: string }> = [];
  /** Conversations the platform knows: `GET /api/v2/conversations/{id}` and the multi-get answer for them. */
  readonly conversations = new Map<string, Record<string, unknown>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private baseUrl = '';

  private constructor(readonly options: Required<FakePlatformOptions>) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // Upgraded and half-upgraded sockets escape closeAllConnections(); stop() destroys them all.
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const match = /^\/channels\/([^/?]+)$/.exec(req.url ?? '');
      const channel = match ? this.channels.get(match[1]!) : undefined;
      if (!channel || channel.expiresAt <= Date.now()) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(channel, ws));
    });
  }

  static async start(options: FakePlatformOptions = {}): Promise<FakePlatform> {
    const platform = new FakePlatform({ heartbeatIntervalMs: options.heartbeatIntervalMs ?? 0 });
    await new Promise<void>((resolve) => platform.server.listen(0, '127.0.0.1', resolve));
    const { port } = platform.server.address() as AddressInfo;
    platform.baseUrl = `http://127.0.0.1:${port}`;
    if (platform.options.heartbeatIntervalMs > 0) {
      platform.heartbeatTimer = setInterval(() => platform.beat(), platform.options.heartbeatIntervalMs);
    }
    return platform;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Calls made to a path matching `pattern`, optionally of one method. */
  callsTo(pattern: RegExp, method?: string): RecordedCall[] {
    return this.calls.filter((c) => pattern.test(c.path) && (!method || c.method === method));
  }

  /** Sends a notification on `topic` to every connected channel subscribed to it. Returns how many got it. */
  publish(topic: string, eventBody: Record<string, unknown>, correlationId: string = randomUUID()): number {
    const frame = JSON.stringify({
      topicName: topic,
      version: '2',
      eventBody,
      metadata: { CorrelationId: correlationId },
    });
    let delivered = 0;
    for (const channel of this.channels.values()) {
      if (!channel.topics.includes(topic.toLowerCase())) continue;
      if (this.sendRaw(channel, frame)) delivered++;
    }
    return delivered;
  }

  /** Sends a raw text frame on a channel's socket. */
  sendRaw(channel: FakeChannel, text: string): boolean {
    const socket = channel.socket;
    if (socket?.readyState !== 1) return false;
    socket.send(text);
    return true;
  }

  /** Drops the channel's socket without a closing handshake. */
  dropSocket(channel: FakeChannel): void {
    channel.socket?.terminate();
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    for (const client of this.wss.clients) client.terminate();
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private beat(): void {
    const frame = JSON.stringify({
      topicName: 'channel.metadata',
      eventBody: { message: 'WebSocket Heartbeat' },
    });
    for (const channel of this.channels.values()) this.sendRaw(channel, frame);
  }

  private attach(channel: FakeChannel, ws: WebSocket): void {
    // One socket per channel: a second connection disconnects the first.
    channel.socket?.close(4000, 'replaced by a new connection');
    channel.socket = ws;
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if ((message as { message?: string }).message === 'ping') {
        ws.send(JSON.stringify({ topicName: 'channel.metadata', eventBody: { message: 'pong' } }));
      }
    });
    ws.on('close', () => {
      if (channel.socket === ws) channel.socket = undefined;
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      at: Date.now(),
    };
    this.calls.push(call);
    const answer = this.route(call);
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'inin-correlation-id': randomUUID(),
      ...answer.headers,
    });
    res.end(answer.body === undefined || call.method === 'HEAD' ? undefined : JSON.stringify(answer.body));
  }

  private route(call: RecordedCall): ReturnType<Responder> {
    const { method, path } = call;
    if (method === 'POST' && path === '/api/v2/notifications/channels') {
      const id = randomUUID();
      const expiresAt = Date.now() + CHANNEL_LIFETIME_MS;
      this.channels.set(id, { id, topics: [], expiresAt, socket: undefined });
      return {
        status: 200,
        body: {
          id,
          connectUri: `${this.baseUrl.replace('http', 'ws')}/channels/${id}`,
          expires: new Date(expiresAt).toISOString(),
        },
      };
    }
    const channelMatch = /^\/api\/v2\/notifications\/channels\/([^/]+)(\/subscriptions)?$/.exec(path);
    if (channelMatch) {
      const channel = this.channels.get(channelMatch[1]!);
      if (!channel || channel.expiresAt <= Date.now()) return notFound();
      if (method === 'HEAD' && !channelMatch[2]) return { status: 200 };
      if (method === 'PUT' && channelMatch[2]) return this.subscribe(channel, call);
    }
    if (method === 'GET' && path === '/api/v2/routing/queues') return this.page(this.queues, call.query);
    const conversation = /^\/api\/v2\/conversations\/([^/]+)$/.exec(path);
    if (method === 'GET' && conversation) {
      const found = this.conversations.get(conversation[1]!);
      return found ? { status: 200, body: found } : notFound();
    }
    if (method === 'POST' && path === '/api/v2/analytics/conversations/details/query')
      return { status: 200, body: { conversations: [], totalHits: 0 } };
    if (method === 'GET' && path === '/api/v2/analytics/conversations/details') return this.multiGet(call);
    return notFound();
  }

  /** PUT replaces the channel's topics; every topic is permitted. */
  private subscribe(channel: FakeChannel, call: RecordedCall): ReturnType<Responder> {
    const topics = (call.body as Array<{ id: string }>).map((t) => t.id.toLowerCase());
    if (topics.length > 1000)
      return { status: 400, body: { code: 'bad.request', message: 'too many topics' } };
    channel.topics = topics;
    return { status: 200, body: { entities: topics.map((id) => ({ id, state: 'Permitted' })) } };
  }

  private page<T>(items: T[], query: URLSearchParams): ReturnType<Responder> {
    const pageSize = Number(query.get('pageSize') ?? PAGE_SIZE);
    const pageNumber = Number(query.get('pageNumber') ?? 1);
    const entities = items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      status: 200,
      body: {
        entities,
        pageSize,
        pageNumber,
        total: items.length,
        pageCount: Math.ceil(items.length / pageSize),
      },
    };
  }

  /** The multi-get: a record, with its id alone, for every conversation the platform knows. */
  private multiGet(call: RecordedCall): ReturnType<Responder> {
    const conversations = call.query
      .getAll('id')
      .flatMap((id) => (this.conversations.has(id) ? [{ conversationId: id }] : []));
    return { status: 200, body: { conversations } };
  }
}

function notFound(): ReturnType<Responder> {
  return { status: 404, body: { code: 'not.found', status: 404, message: 'not found' } };
}
