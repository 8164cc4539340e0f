/**
 * A real HTTP proxy on loopback (the `proxy` package: CONNECT tunnels and plain forwarding) that records what went
 * through it: every CONNECT target, every forwarded request, the Proxy-Authorization each carried, and the request
 * line of each HTTP request sent inside a plain-text tunnel (so a WebSocket upgrade can be told from a REST call).
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy, type ProxyServer } from 'proxy';

export interface TunnelRecord {
  /** `host:port` asked for in CONNECT. */
  target: string;
  /** The Proxy-Authorization header, if any. */
  authorization: string | undefined;
  /** Request lines seen inside the tunnel (`GET /path HTTP/1.1`), with whether the request asked to upgrade. */
  requests: Array<{ line: string; upgrade: string | undefined }>;
}

export interface ForwardRecord {
  method: string;
  url: string;
  authorization: string | undefined;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  tunnels: TunnelRecord[];
  forwarded: ForwardRecord[];
  /** Every request line seen inside any tunnel. */
  tunnelledRequests(): Array<{ target: string; line: string; upgrade: string | undefined }>;
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /** `user:password` the proxy requires (Basic); without it, every client is let through. */
  credentials?: string;
}

function authorizationOf(req: IncomingMessage): string | undefined {
  const value = req.headers['proxy-authorization'];
  return typeof value === 'string' ? value : undefined;
}

/** Reads HTTP request heads out of the client → target bytes of a tunnel (plain-text targets only). */
function sniffRequests(socket: Socket, record: TunnelRecord): void {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    if (pending.length > 65_536) return;
    pending += chunk.toString('latin1');
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) break;
      const head = pending.slice(0, end);
      pending = pending.slice(end + 4);
      const [line = '', ...headers] = head.split('\r\n');
      if (!/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(line)) {
        // Not a request head: a body, WebSocket frames or TLS. Stop reading this tunnel.
        pending = ' '.repeat(65_537);
        return;
      }
      const upgrade = headers
        .find((header) => header.toLowerCase().startsWith('upgrade:'))
        ?.slice('upgrade:'.length)
        .trim();
      record.requests.push({ line, upgrade });
      const length = headers.find((header) => header.toLowerCase().startsWith('content-length:'));
      const bodyBytes = length ? Number(length.slice('content-length:'.length).trim()) : 0;
      if (upgrade) {
        pending = ' '.repeat(65_537);
        return;
      }
      // Skip a body that already arrived whole; a body split over chunks ends the sniffing of this tunnel.
      if (bodyBytes > 0) {
        if (pending.length < bodyBytes) {
          pending = ' '.repeat(65_537);
          return;
        }
        pending = pending.slice(bodyBytes);
      }
    }
  });
}

/** Starts a proxy on 127.0.0.1 on a free port. */
export async function startRecordingProxy(options: RecordingProxyOptions = {}): Promise<RecordingProxy> {
  const server: ProxyServer = createProxy();
  const tunnels: TunnelRecord[] = [];
  const forwarded: ForwardRecord[] = [];
  const expected = options.credentials
    ? `Basic ${Buffer.from(options.credentials, 'utf8').toString('base64')}`
    : undefined;
  if (expected) server.authenticate = (req) => authorizationOf(req) === expected;
  // Registered after the proxy's own listeners: the proxy has paused the socket by then, so the sniffer's listener
  // does not start the flow; it sees the same chunks the tunnel pipes on.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const record: TunnelRecord = { target: req.url ?? '', authorization: authorizationOf(req), requests: [] };
    tunnels.push(record);
    sniffRequests(socket, record);
  });
  server.on('request', (req: IncomingMessage) => {
    forwarded.push({ method: req.method ?? '', url: req.url ?? '', authorization: authorizationOf(req) });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    forwarded,
    tunnelledRequests: () =>
      tunnels.flatMap((tunnel) => tunnel.requests.map((request) => ({ target: tunnel.target, ...request }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
