/**
 * Server-sent events for the dashboard: named messages with JSON data to every connected browser, a comment
 * every few seconds so proxies keep the connection open, and a cap on clients. A client that cannot keep up
 * (its socket buffer passes a limit) is cut rather than allowed to grow the process.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseOptions {
  /** Most clients at once (default 50). */
  maxClients?: number;
  /** Keep-alive comment interval (default 15 s). */
  keepAliveMs?: number;
  /** Unsent bytes after which a slow client is cut (default 4 MiB). */
  maxBufferedBytes?: number;
}

/** Encodes one SSE message. */
export function sseMessage(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The set of connected SSE clients. */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;
  private closed = false;

  constructor(options: SseOptions = {}) {
    this.maxClients = options.maxClients ?? 50;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * Takes over a request as an event stream and sends `first` (the messages a new client starts from).
   * Answers 503 when full or closed.
   */
  accept(request: IncomingMessage, response: ServerResponse, first: string): boolean {
    if (this.closed || this.clients.size >= this.maxClients) {
      response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5' });
      response.end(JSON.stringify({ error: 'too many dashboard connections; try again shortly' }));
      return false;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.write(`retry: 2000\n\n${first}`);
    this.clients.add(response);
    const drop = () => this.clients.delete(response);
    request.on('close', drop);
    response.on('error', drop);
    return true;
  }

  /** Sends one named message to every client. */
  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    this.write(sseMessage(event, data));
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private write(chunk: string): void {
    for (const client of this.clients) {
      if (client.writableLength > this.maxBufferedBytes) {
        this.clients.delete(client);
        client.destroy();
        continue;
      }
      client.write(chunk);
    }
  }
}
