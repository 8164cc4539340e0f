/**
 * A loopback stand-in for `GET /api/v2/conversations/{id}`, with the platform's error body, so processor tests go
 * through real HTTP. Each conversation answers from a script: a list of replies used in turn (the last repeats).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply: a conversation body, or an HTTP error status. */
export type Reply = { body: unknown } | { status: number };

export class ConversationRestServer {
  readonly requests: string[] = [];
  maxConcurrent = 0;
  delayMs = 0;
  private readonly scripts = new Map<string, Reply[]>();
  private concurrent = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const match = /^\/api\/v2\/conversations\/([0-9a-z-]+)$/.exec(req.url ?? '');
      const id = match?.[1];
      this.requests.push(id ?? req.url ?? '');
      this.concurrent++;
      this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
      setTimeout(() => {
        this.concurrent--;
        const script = id === undefined ? undefined : this.scripts.get(id);
        const reply: Reply =
          script === undefined ? { status: 404 } : script.length > 1 ? script.shift()! : script[0]!;
        if ('body' in reply) {
          res.writeHead(200, { 'content-type': 'application/json', 'inin-correlation-id': 'corr-ok' });
          res.end(JSON.stringify(reply.body));
          return;
        }
        res.writeHead(reply.status, {
          'content-type': 'application/json',
          'inin-correlation-id': 'corr-err',
        });
        res.end(
          JSON.stringify({
            message:
              reply.status === 404 ? 'The requested conversation was not found.' : 'Service unavailable',
            code: reply.status === 404 ? 'not.found' : 'service.unavailable',
            status: reply.status,
            messageParams: {},
            contextId: 'corr-err',
            details: [],
            errors: [],
          }),
        );
      }, this.delayMs);
    });
  }

  /** Sets the replies for one conversation. */
  script(conversationId: string, replies: Reply[]): void {
    this.scripts.set(conversationId, [...replies]);
  }

  /** Starts listening on a free loopback port; returns the base URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A `fetchConversation` over HTTP that rejects on any error status, as a platform client would. */
export function httpFetchConversation(baseUrl: string): (conversationId: string) => Promise<unknown> {
  return async (conversationId) => {
    const response = await fetch(`${baseUrl}/api/v2/conversations/${conversationId}`);
    if (!response.ok) throw new Error(`GET conversation answered ${response.status}`);
    return response.json();
  };
}
