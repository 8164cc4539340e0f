/**
 * The streaming endpoint: WebSocket upgrades on `/channels/{id}`. No token goes on the socket — the channel id
 * is the secret — so an unknown or expired channel is refused with a plain 404 before the handshake.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { platformError } from '../router.js';
import type { NotificationHub } from './hub.js';

const CHANNEL_PATH = /^\/channels\/([^/?#]+)\/?$/;

/** Client frames are tiny (`{"message":"ping"}`); anything large is not a client of this API. */
const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** Accepts WebSocket upgrades for notification channels. */
export class NotificationSocketServer {
  private readonly server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
  });

  constructor(private readonly hub: NotificationHub) {}

  /**
   * Handles an HTTP upgrade request; answers 404 for anything but a live channel. Returns the status answered:
   * 101 when the handshake goes ahead, 404 when refused.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): number {
    const path = (request.url ?? '/').split('?')[0]!;
    const match = CHANNEL_PATH.exec(path);
    const channel = match ? this.hub.channels.get(decodeURIComponent(match[1]!)) : undefined;
    if (!channel) {
      refuse(socket, 404, 'not.found', 'The requested channel does not exist or has expired.');
      return 404;
    }
    this.server.handleUpgrade(request, socket, head, (ws) => {
      // The channel may have ended while the handshake was in flight.
      if (channel.removed) {
        ws.close(1000, 'Channel expired');
        return;
      }
      this.hub.attach(channel, ws);
    });
    return 101;
  }

  /** Stops accepting and terminates open sockets. */
  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }
}

/** Answers an upgrade request with a plain HTTP error in the platform's body shape. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const correlationId = randomUUID();
  const error = platformError(status, code, message);
  const body = JSON.stringify({ ...(error.body as object), contextId: correlationId });
  const reason = status === 404 ? 'Not Found' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Content-Type: application/json; charset=UTF-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `ININ-Correlation-Id: ${correlationId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
