/**
 * An Amazon SQS standard queue, in memory, as the emulator's EventBridge integration delivers into it: messages stay
 * until deleted; a received message is invisible for its visibility timeout and comes back (received again, with a new
 * receipt handle and a higher receive count) if it was not deleted by then; only the latest receipt handle deletes
 * (an older one is accepted and deletes nothing, as AWS does); long polling waits for a message up to 20 s; a redrive
 * policy moves a message received too often to a dead-letter queue. Limits follow AWS: 1-10 messages per receive,
 * visibility 0-43,200 s and at most 12 hours after the first receive, 10 entries per batch.
 *
 * Time is the emulator's clock, so a ManualClock test can move visibility timeouts by hand.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../world/clock.js';

/**
 * The legacy (query protocol) code and HTTP status of SQS errors, as the service model gives them: the JSON protocol
 * carries the code in `x-amzn-query-error`, and the SDK picks the exception class by it. Others: the name, 400.
 */
const LEGACY: Readonly<Record<string, [string, number]>> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  InvalidAddress: ['InvalidAddress', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  InternalFailure: ['InternalFailure', 500],
};

/** An error as SQS names it (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`, ...), with its HTTP status. */
export class SqsError extends Error {
  /** The legacy query-protocol code the `x-amzn-query-error` header carries. */
  readonly queryCode: string;
  readonly status: number;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
    const [queryCode, status] = LEGACY[code] ?? [code, 400];
    this.queryCode = queryCode;
    this.status = status;
  }
}

/** One message of the queue. */
export interface SqsMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  /** When it can next be received: after a delay, or once its visibility timeout is over. */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The latest receipt handle; only it deletes. */
  receipt: string | undefined;
  /** Every receipt handle it was given (older ones are accepted by DeleteMessage, and delete nothing). */
  receipts: string[];
}

/** A received message, as ReceiveMessage returns it. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, string>;
}

/** Counters of what the queue did. */
export interface SqsQueueCounters {
  sent: number;
  received: number;
  /** Receives of a message that had been received before (its visibility timeout ran out). */
  redelivered: number;
  deleted: number;
  /** Deletes with a receipt handle that was no longer the latest: accepted, nothing deleted. */
  staleDeletes: number;
  visibilityChanges: number;
  movedToDeadLetter: number;
}

export interface SqsQueueOptions {
  name: string;
  region: string;
  accountId: string;
  /** Base URL of the SQS endpoint; the queue URL is `<base>/<accountId>/<name>`. */
  endpoint: string;
  clock: Clock;
  /** Default visibility timeout in seconds (AWS: 30). */
  visibilityTimeoutSeconds?: number;
  /** After this many receives, a message goes to `deadLetter` instead (AWS's redrive policy). */
  redrive?: { maxReceiveCount: number; deadLetter: SqsQueue };
}

const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

interface Waiter {
  max: number;
  visibilitySeconds: number;
  resolve: (messages: ReceivedMessage[]) => void;
  timer: unknown;
}

/** A standard queue. */
export class SqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdAt: number;
  visibilityTimeoutSeconds: number;
  readonly counters: SqsQueueCounters = {
    sent: 0,
    received: 0,
    redelivered: 0,
    deleted: 0,
    staleDeletes: 0,
    visibilityChanges: 0,
    movedToDeadLetter: 0,
  };
  private readonly clock: Clock;
  private readonly redrive: SqsQueueOptions['redrive'];
  /** In the order they were sent: a standard queue gives no order, this one gives roughly this one. */
  private readonly messages = new Map<string, SqsMessage>();
  private readonly byReceipt = new Map<string, string>();
  private waiters: Waiter[] = [];
  private wakeTimer: unknown;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(options: SqsQueueOptions) {
    this.name = options.name;
    this.url = `${options.endpoint}/${options.accountId}/${options.name}`;
    this.arn = `arn:aws:sqs:${options.region}:${options.accountId}:${options.name}`;
    this.clock = options.clock;
    this.createdAt = options.clock.now();
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    this.redrive = options.redrive;
  }

  /** Adds a message, receivable after `delayMs`. */
  send(body: string, delayMs = 0): SqsMessage {
    const now = this.clock.now();
    const message: SqsMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      sentAt: now,
      visibleAt: now + Math.max(0, delayMs),
      receiveCount: 0,
      firstReceivedAt: undefined,
      receipt: undefined,
      receipts: [],
    };
    this.messages.set(message.messageId, message);
    this.counters.sent++;
    this.serveWaiters();
    return message;
  }

  /**
   * Receives up to `max` visible messages, each invisible for `visibilitySeconds` after; with `waitSeconds`, waits
   * up to that long for the first one (long polling). `signal` ends the wait early with what there is (nothing).
   */
  receive(options: {
    max?: number;
    visibilitySeconds?: number;
    waitSeconds?: number;
    signal?: AbortSignal;
  }): Promise<ReceivedMessage[]> {
    const max = options.max ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    const visibilitySeconds = options.visibilitySeconds ?? this.visibilityTimeoutSeconds;
    checkVisibility(visibilitySeconds);
    const waitSeconds = options.waitSeconds ?? 0;
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_WAIT_SECONDS)
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${waitSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    const now = this.clock.now();
    const ready = this.take(max, visibilitySeconds, now);
    if (ready.length > 0 || waitSeconds === 0 || options.signal?.aborted) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter: Waiter = { max, visibilitySeconds, resolve, timer: undefined };
      const aborted = () => done([]);
      const done = (messages: ReceivedMessage[]) => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.clock.clearTimeout(waiter.timer);
        options.signal?.removeEventListener('abort', aborted);
        resolve(messages);
      };
      waiter.resolve = done;
      waiter.timer = this.clock.setTimeout(() => done([]), waitSeconds * 1000);
      options.signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.push(waiter);
      this.armWake();
    });
  }

  /** Deletes the message the receipt handle was given for, if it is still the latest one (else nothing, no error). */
  delete(receiptHandle: string): void {
    const messageId = this.byReceipt.get(receiptHandle);
    if (messageId === undefined) {
      if (!isReceiptHandle(receiptHandle))
        throw new SqsError(
          'ReceiptHandleIsInvalid',
          `The input receipt handle "${receiptHandle}" is not valid.`,
        );
      return; // an old handle of a message already gone
    }
    const message = this.messages.get(messageId);
    if (message === undefined) return;
    if (message.receipt !== receiptHandle) {
      this.counters.staleDeletes++;
      return;
    }
    this.forget(message);
    this.counters.deleted++;
  }

  /** Sets a received message's remaining visibility to `seconds` from now (0 makes it receivable at once). */
  changeVisibility(receiptHandle: string, seconds: number): void {
    checkVisibility(seconds);
    const messageId = this.byReceipt.get(receiptHandle);
    if (messageId === undefined) {
      if (!isReceiptHandle(receiptHandle))
        throw new SqsError(
          'ReceiptHandleIsInvalid',
          `The input receipt handle "${receiptHandle}" is not valid.`,
        );
      throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    const message = this.messages.get(messageId);
    const now = this.clock.now();
    if (message === undefined || message.receipt !== receiptHandle || message.visibleAt <= now)
      throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
    if (
      message.firstReceivedAt !== undefined &&
      now + seconds * 1000 > message.firstReceivedAt + MAX_VISIBILITY_SECONDS * 1000
    )
      throw new SqsError(
        'InvalidParameterValue',
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]`,
      );
    message.visibleAt = now + seconds * 1000;
    this.counters.visibilityChanges++;
    if (seconds === 0) this.serveWaiters();
  }

  /** The queue's attributes as GetQueueAttributes reports them (every value a string). */
  attributes(): Record<string, string> {
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) inFlight++;
      else delayed++;
    }
    const attributes: Record<string, string> = {
      QueueArn: this.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(Math.floor(this.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(this.createdAt / 1000)),
      VisibilityTimeout: String(this.visibilityTimeoutSeconds),
      MaximumMessageSize: '262144',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
    };
    if (this.redrive)
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: this.redrive.deadLetter.arn,
        maxReceiveCount: this.redrive.maxReceiveCount,
      });
    return attributes;
  }

  /** Messages in the queue, in flight or not (for tests and the status page). */
  get size(): number {
    return this.messages.size;
  }

  /** Ends every long poll (stopping). */
  close(): void {
    for (const waiter of [...this.waiters]) waiter.resolve([]);
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  private forget(message: SqsMessage): void {
    this.messages.delete(message.messageId);
    for (const receipt of message.receipts) this.byReceipt.delete(receipt);
  }

  private take(max: number, visibilitySeconds: number, now: number): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    // The ones that became visible first go first: a delayed message really arrives late, after later ones.
    const visible: SqsMessage[] = [];
    for (const message of this.messages.values()) if (message.visibleAt <= now) visible.push(message);
    visible.sort((a, b) => a.visibleAt - b.visibleAt);
    for (const message of visible) {
      if (out.length >= max) break;
      if (this.redrive && message.receiveCount >= this.redrive.maxReceiveCount) {
        this.forget(message);
        this.redrive.deadLetter.send(message.body);
        this.counters.movedToDeadLetter++;
        continue;
      }
      if (message.receiveCount > 0) this.counters.redelivered++;
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      message.receipt = `${randomUUID()}#${message.messageId}`;
      message.visibleAt = now + visibilitySeconds * 1000;
      message.receipts.push(message.receipt);
      this.byReceipt.set(message.receipt, message.messageId);
      this.counters.received++;
      out.push({
        messageId: message.messageId,
        receiptHandle: message.receipt,
        body: message.body,
        md5OfBody: message.md5OfBody,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
          SenderId: 'AIDAEMULATOREVENTBRIDGE',
        },
      });
    }
    return out;
  }

  /** Hands visible messages to waiting long polls, and sets a timer for the next message that becomes visible. */
  private serveWaiters(): void {
    const now = this.clock.now();
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0]!;
      const messages = this.take(waiter.max, waiter.visibilitySeconds, now);
      if (messages.length === 0) break;
      waiter.resolve(messages);
    }
    this.armWake();
  }

  private armWake(): void {
    if (this.waiters.length === 0) return;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.messages.values()) if (m.visibleAt > now && m.visibleAt < next) next = m.visibleAt;
    if (!Number.isFinite(next) || next >= this.wakeAt) return;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = next;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.serveWaiters();
    }, next - now);
  }
}

function checkVisibility(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS)
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.`,
    );
}

function isReceiptHandle(value: string): boolean {
  return /^[0-9a-f-]{36}#[0-9a-f-]{36}$/.test(value);
}
