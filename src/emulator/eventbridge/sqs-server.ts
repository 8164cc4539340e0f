/**
 * The emulator's SQS endpoint: the AWS JSON 1.0 protocol the current AWS SDK speaks to SQS (`POST /` with
 * `X-Amz-Target: AmazonSQS.<Operation>` and a JSON body naming the `QueueUrl`), on its own port as SQS has its own
 * host. It serves what a consumer of an EventBridge → SQS target uses — ReceiveMessage (long polling),
 * DeleteMessage(Batch), ChangeMessageVisibility(Batch), GetQueueAttributes, GetQueueUrl — and SendMessage(Batch) for
 * tests. Requests are not authenticated (any SigV4 signature, or none, is accepted). Errors leave as the protocol
 * carries them: status 400, `{"__type": "com.amazonaws.sqs#<Code>", "message": ...}` and the
 * `x-amzn-query-error: <legacy code>;Sender` header.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqsError, type SqsQueue } from './sqs-queue.js';

type Json = Record<string, unknown>;

/** Counters of the endpoint. */
export interface SqsServerCounters {
  requests: number;
  byOperation: Record<string, number>;
  errors: number;
}

/** A running SQS endpoint. */
export interface SqsServer {
  /** `http://host:port`: the endpoint (the queue URLs start with it). */
  url: string;
  counters: SqsServerCounters;
  close(): Promise<void>;
}

const MAX_BATCH = 10;

function str(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  return value;
}

function int(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new SqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid.`);
  return n;
}

function entries(body: Json): Json[] {
  const list = body.Entries;
  if (!Array.isArray(list) || list.length === 0)
    throw new SqsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  if (list.length > MAX_BATCH)
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}.`,
    );
  const ids = new Set<string>();
  for (const entry of list) {
    const id = (entry as Json)?.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id))
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores.',
      );
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return list as Json[];
}

/** Runs each batch entry, collecting successes and per-entry failures as SQS reports them. */
function batch(list: Json[], run: (entry: Json) => Json | undefined): Json {
  const Successful: Json[] = [];
  const Failed: Json[] = [];
  for (const entry of list) {
    try {
      Successful.push({ Id: entry.Id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
    }
  }
  return { Successful, Failed };
}

/** The operations, by `X-Amz-Target` suffix. */
function operations(findQueue: (url: unknown) => SqsQueue, signal: AbortSignal) {
  return {
    async ReceiveMessage(body: Json): Promise<Json> {
      const queue = findQueue(body.QueueUrl);
      const options: Parameters<SqsQueue['receive']>[0] = { signal };
      const max = int(body.MaxNumberOfMessages, 'MaxNumberOfMessages');
      const visibility = int(body.VisibilityTimeout, 'VisibilityTimeout');
      const wait = int(body.WaitTimeSeconds, 'WaitTimeSeconds');
      if (max !== undefined) options.max = max;
      if (visibility !== undefined) options.visibilitySeconds = visibility;
      if (wait !== undefined) options.waitSeconds = wait;
      const messages = await queue.receive(options);
      if (messages.length === 0) return {};
      return {
        Messages: messages.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5OfBody,
          Body: m.body,
          Attributes: m.attributes,
        })),
      };
    },
    DeleteMessage(body: Json): Json {
      findQueue(body.QueueUrl).delete(str(body.ReceiptHandle, 'ReceiptHandle'));
      return {};
    },
    DeleteMessageBatch(body: Json): Json {
      const queue = findQueue(body.QueueUrl);
      return batch(entries(body), (entry) => {
        queue.delete(str(entry.ReceiptHandle, 'ReceiptHandle'));
        return undefined;
      });
    },
    ChangeMessageVisibility(body: Json): Json {
      const seconds = int(body.VisibilityTimeout, 'VisibilityTimeout');
      if (seconds === undefined)
        throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
      findQueue(body.QueueUrl).changeVisibility(str(body.ReceiptHandle, 'ReceiptHandle'), seconds);
      return {};
    },
    ChangeMessageVisibilityBatch(body: Json): Json {
      const queue = findQueue(body.QueueUrl);
      return batch(entries(body), (entry) => {
        const seconds = int(entry.VisibilityTimeout, 'VisibilityTimeout') ?? 0;
        queue.changeVisibility(str(entry.ReceiptHandle, 'ReceiptHandle'), seconds);
        return undefined;
      });
    },
    GetQueueAttributes(body: Json): Json {
      const all = findQueue(body.QueueUrl).attributes();
      const names = Array.isArray(body.AttributeNames) ? (body.AttributeNames as string[]) : ['All'];
      if (names.includes('All')) return { Attributes: all };
      const Attributes: Record<string, string> = {};
      for (const name of names) {
        if (all[name] === undefined && name !== 'RedrivePolicy')
          throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
        if (all[name] !== undefined) Attributes[name] = all[name];
      }
      return { Attributes };
    },
    GetQueueUrl(body: Json, byName: (name: string) => SqsQueue): Json {
      return { QueueUrl: byName(str(body.QueueName, 'QueueName')).url };
    },
    SendMessage(body: Json): Json {
      const queue = findQueue(body.QueueUrl);
      const message = queue.send(
        str(body.MessageBody, 'MessageBody'),
        (int(body.DelaySeconds, 'DelaySeconds') ?? 0) * 1000,
      );
      return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
    },
    SendMessageBatch(body: Json): Json {
      const queue = findQueue(body.QueueUrl);
      return batch(entries(body), (entry) => {
        const message = queue.send(
          str(entry.MessageBody, 'MessageBody'),
          (int(entry.DelaySeconds, 'DelaySeconds') ?? 0) * 1000,
        );
        return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody };
      });
    },
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: Json,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: SqsError): void {
  send(
    response,
    error.status,
    { __type: `com.amazonaws.sqs#${error.code}`, message: error.message },
    { 'x-amzn-query-error': `${error.queryCode};Sender` },
  );
}

/** Starts the endpoint over the given queues (found by URL path `/<account>/<name>`, or by name). */
export async function startSqsServer(options: {
  queues: () => Iterable<SqsQueue>;
  host?: string;
  port?: number;
}): Promise<SqsServer> {
  const counters: SqsServerCounters = { requests: 0, byOperation: {}, errors: 0 };
  const stopping = new AbortController();
  const byName = (name: string): SqsQueue => {
    for (const queue of options.queues()) if (queue.name === name) return queue;
    throw new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  };
  const findQueue = (url: unknown): SqsQueue => {
    const text = str(url, 'QueueUrl');
    let name: string | undefined;
    try {
      name = new URL(text).pathname.split('/').filter(Boolean).at(-1);
    } catch {
      throw new SqsError('InvalidAddress', `The address ${text} is not valid for this endpoint.`);
    }
    return byName(name ?? '');
  };
  const ops = operations(findQueue, stopping.signal);

  const server: Server = createServer((request, response) => {
    void (async () => {
      counters.requests++;
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : '';
      counters.byOperation[operation || 'unknown'] = (counters.byOperation[operation || 'unknown'] ?? 0) + 1;
      try {
        const text = await readBody(request);
        if (request.method !== 'POST' || !(operation in ops)) {
          throw new SqsError(
            'UnsupportedOperation',
            `Operation ${target || `${request.method} ${request.url}`} is not supported by this endpoint.`,
          );
        }
        let body: Json;
        try {
          body = text === '' ? {} : (JSON.parse(text) as Json);
        } catch {
          throw new SqsError('InvalidParameterValue', 'The request body is not valid JSON.');
        }
        const run = ops[operation as keyof typeof ops] as (
          body: Json,
          byName: (name: string) => SqsQueue,
        ) => Json | Promise<Json>;
        send(response, 200, await run(body, byName));
      } catch (error) {
        counters.errors++;
        if (error instanceof SqsError) sendError(response, error);
        else sendError(response, new SqsError('InternalFailure', String(error)));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
