/**
 * SqsSource: Genesys Cloud's EventBridge integration read from the SQS queue its rule targets, behind the same
 * `NotificationSource` seam as the WebSocket pool. It long-polls the queue with the official AWS SDK (credentials and
 * region from its default chain unless given; an endpoint override for tests and VPC endpoints), hands each message's
 * notification to the pipeline, and deletes a message only once the pipeline acknowledged it (its events were derived
 * and handed on) and the stream says those events are safe (in the sinks, and with a store in a checkpoint): at
 * least once, across crashes. Meanwhile it keeps every message it holds invisible, extending the visibility timeout
 * before it runs out, so a record held for ordering or a delete waiting for the sinks is not delivered again.
 *
 * A message that is not an EventBridge notification (poison) is never deleted: it comes back after its visibility
 * timeout and the queue's redrive policy takes it to the dead-letter queue — configure one (AWS's, not ours).
 *
 * Back-pressure: no more than `maxInFlight` messages are held at once; past it the receivers wait, so slow sinks
 * (whose safety is awaited before deleting) slow the reading down rather than piling messages up.
 */
import type { GetQueueAttributesCommandOutput, Message, SQSClient } from '@aws-sdk/client-sqs';
import { Backoff } from '../backoff.js';
import { ConfigError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import type { NotificationHandler, NotificationSource, SafetyCheck } from '../stream/source.js';
import { realTimers, type Timers } from '../timers.js';
import { readEventBridgeMessage } from './envelope.js';

/** Settings of an {@link SqsSource}; only the queue URL is required. */
export interface SqsSourceOptions {
  /** `https://sqs.<region>.amazonaws.com/<account>/<queue>`. */
  queueUrl: string;
  /** AWS region; default: the queue URL's, else the SDK's chain (`AWS_REGION`, profile), else us-east-1. */
  region?: string;
  /** Endpoint override (a VPC endpoint, a local SQS); default: the queue URL's host. */
  endpoint?: string;
  /** Static credentials; default: the SDK's chain (environment, profile, SSO, web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Messages per receive, 1-10 (default 10). */
  batchSize?: number;
  /** Long-poll wait, 0-20 s (default 20). */
  waitSeconds?: number;
  /** Visibility timeout asked for each message, in seconds (default 60); extended while the message is held. */
  visibilityTimeoutSeconds?: number;
  /** Receive loops running at once (default 2). */
  receivers?: number;
  /** Messages held (received, not deleted) at most; past it the receivers wait (default 2,000). */
  maxInFlight?: number;
  /** How long acknowledged messages are gathered before a delete (default 200 ms). */
  deleteDelayMs?: number;
  /**
   * How long a message the pipeline has not acknowledged is kept invisible (default 600 s): past it, it is let go and
   * comes back, so one that is never acknowledged reaches the dead-letter queue through the redrive policy.
   */
  maxHoldSeconds?: number;
  timers?: Timers;
  logger?: Logger;
}

/** What the source has done; what health, metrics and the dashboard show (a type, so it fits `SourceStats`). */
export type SqsSourceStats = {
  kind: 'eventbridge';
  queueUrl: string;
  running: boolean;
  /** ReceiveMessage calls that answered. */
  receives: number;
  /** Messages received (each receive of a message counted). */
  received: number;
  /** Of those, received before (ApproximateReceiveCount > 1): not deleted in time, here or elsewhere. */
  redeliveries: number;
  deleted: number;
  /** Deletes the queue refused (the message comes back; its events repeat with the same ids). */
  deleteFailures: number;
  /** Visibility timeouts extended. */
  visibilityExtensions: number;
  /** Messages that are no notification (or that the pipeline could not read), left for the dead-letter queue. */
  poison: number;
  /** Held now: received and not deleted. */
  inFlight: number;
  /** Acknowledged and waiting to be deleted. */
  awaitingDelete: number;
  /** Now minus when the fact of the latest message happened (its `eventTime`, else the event's `time`), in ms. */
  lagMs: number | undefined;
  lastReceivedAt: string | undefined;
  receiveErrors: number;
  /** Since when every receive has failed (none answered since), or undefined while they answer. */
  failingSince: string | undefined;
  lastError: string | undefined;
};

interface Held {
  receipt: string;
  messageId: string;
  receivedAt: number;
  visibleUntil: number;
  acknowledgedAt: number | undefined;
}

type Sdk = typeof import('@aws-sdk/client-sqs');

const MAX_VISIBILITY_MS = 12 * 60 * 60_000;

/** The region a queue URL names (`sqs.eu-west-1.amazonaws.com`, `eu-west-1.queue.amazonaws.com`), if any. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  return (
    /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com$/.exec(host)?.[1]
  );
}

function check(value: number, name: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(
      `EventBridge source: ${name} must be an integer from ${min} to ${max}, got ${value}.`,
    );
  return value;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Reads the EventBridge integration's notifications from an SQS queue. */
export class SqsSource implements NotificationSource {
  private handler: NotificationHandler | undefined;
  private safety: SafetyCheck | undefined;
  private readonly options: Required<
    Pick<
      SqsSourceOptions,
      | 'batchSize'
      | 'waitSeconds'
      | 'visibilityTimeoutSeconds'
      | 'receivers'
      | 'maxInFlight'
      | 'deleteDelayMs'
      | 'maxHoldSeconds'
    >
  >;
  private readonly timers: Timers;
  private readonly log: Logger;
  private sdk: Sdk | undefined;
  private client: SQSClient | undefined;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private running = false;
  private stopping = false;
  private readonly held = new Map<string, Held>();
  private toDelete: Held[] = [];
  private deleteTimer: unknown;
  private deleting: Promise<void> | undefined;
  private extendTimer: unknown;
  private capacityWaiters: Array<() => void> = [];
  private readonly poisonReasons = new Set<string>();
  private readonly counters = {
    receives: 0,
    received: 0,
    redeliveries: 0,
    deleted: 0,
    deleteFailures: 0,
    visibilityExtensions: 0,
    poison: 0,
    receiveErrors: 0,
  };
  private lagMs: number | undefined;
  private lastReceivedAt: number | undefined;
  private lastError: string | undefined;
  private failingSince: number | undefined;

  constructor(private readonly settings: SqsSourceOptions) {
    if (!/^https?:\/\/[^/]+\/[^/]+\/[^/]+$/.test(settings.queueUrl))
      throw new ConfigError(`EventBridge source: ${settings.queueUrl} is not an SQS queue URL.`, {
        hint: 'Give the queue URL as SQS shows it: https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>.',
      });
    this.options = {
      batchSize: check(settings.batchSize ?? 10, 'batchSize', 1, 10),
      waitSeconds: check(settings.waitSeconds ?? 20, 'waitSeconds', 0, 20),
      visibilityTimeoutSeconds: check(
        settings.visibilityTimeoutSeconds ?? 60,
        'visibilityTimeoutSeconds',
        5,
        43_200,
      ),
      receivers: check(settings.receivers ?? 2, 'receivers', 1, 50),
      maxInFlight: check(settings.maxInFlight ?? 2_000, 'maxInFlight', 1, 100_000),
      deleteDelayMs: check(settings.deleteDelayMs ?? 200, 'deleteDelayMs', 0, 60_000),
      maxHoldSeconds: check(settings.maxHoldSeconds ?? 600, 'maxHoldSeconds', 1, 43_200),
    };
    this.timers = settings.timers ?? realTimers;
    this.log = (settings.logger ?? silentLogger()).child({
      component: 'eventbridge',
      queueUrl: settings.queueUrl,
    });
  }

  onNotification(handler: NotificationHandler): void {
    this.handler = handler;
  }

  useSafetyCheck(check: SafetyCheck): void {
    this.safety = check;
  }

  /** Starts the receivers; resolves once the queue answered its attributes (a wrong URL or credentials fail here). */
  async start(): Promise<void> {
    if (this.running) return;
    this.sdk = await import('@aws-sdk/client-sqs');
    const region =
      this.settings.region ??
      regionOfQueueUrl(this.settings.queueUrl) ??
      process.env.AWS_REGION ??
      process.env.AWS_DEFAULT_REGION ??
      'us-east-1';
    // A queue outside AWS (a local SQS, the emulator) is its own endpoint.
    const endpoint =
      this.settings.endpoint ??
      (/\.amazonaws\.com(\.cn)?$/.test(new URL(this.settings.queueUrl).hostname)
        ? undefined
        : new URL(this.settings.queueUrl).origin);
    this.client = new this.sdk.SQSClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...(this.settings.credentials ? { credentials: this.settings.credentials } : {}),
    });
    let attributes: GetQueueAttributesCommandOutput;
    try {
      attributes = await this.client.send(
        new this.sdk.GetQueueAttributesCommand({
          QueueUrl: this.settings.queueUrl,
          AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'ApproximateNumberOfMessages'],
        }),
      );
    } catch (error) {
      // A wrong URL, region or credentials: nothing was started.
      this.client.destroy();
      this.client = undefined;
      throw error;
    }
    if (attributes.Attributes?.RedrivePolicy === undefined) {
      this.log.warn(
        'the queue has no redrive policy: a message that cannot be read comes back forever; give it a dead-letter queue',
      );
    }
    this.log.info(
      { waiting: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0), region },
      'reading the EventBridge queue',
    );
    this.running = true;
    this.scheduleExtend();
    for (let i = 0; i < this.options.receivers; i++) this.loops.push(this.receiveLoop());
  }

  /**
   * Stops receiving, deletes what was acknowledged and is safe (within a few seconds), and makes every other message
   * it held visible again at once, for the next reader.
   */
  async stop(): Promise<void> {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    for (const wake of this.capacityWaiters.splice(0)) wake();
    await Promise.allSettled(this.loops);
    this.timers.clearTimeout(this.extendTimer);
    this.timers.clearTimeout(this.deleteTimer);
    await this.withTimeout(this.deleteAcknowledged(), 5_000);
    const unacknowledged = [...this.held.values()].filter((h) => h.acknowledgedAt === undefined);
    await this.withTimeout(this.changeVisibility(unacknowledged, 0), 5_000);
    this.running = false;
    this.client?.destroy();
  }

  stats(): SqsSourceStats {
    return {
      kind: 'eventbridge',
      queueUrl: this.settings.queueUrl,
      running: this.running && !this.stopping,
      ...this.counters,
      inFlight: this.held.size,
      awaitingDelete: this.toDelete.length,
      lagMs: this.lagMs,
      lastReceivedAt:
        this.lastReceivedAt === undefined ? undefined : new Date(this.lastReceivedAt).toISOString(),
      lastError: this.lastError,
      failingSince: this.failingSince === undefined ? undefined : new Date(this.failingSince).toISOString(),
    };
  }

  private async receiveLoop(): Promise<void> {
    const sdk = this.sdk!;
    // 1 s doubling to 30 s while receives fail; never at once, and replicas failing together spread out.
    const backoff = new Backoff({ initialDelayMs: 1_000, maxDelayMs: 30_000, jitter: 'equal' });
    while (!this.stopping) {
      if (this.held.size >= this.options.maxInFlight) {
        await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
        continue;
      }
      let messages: Message[];
      try {
        const out = await this.client!.send(
          new sdk.ReceiveMessageCommand({
            QueueUrl: this.settings.queueUrl,
            MaxNumberOfMessages: Math.min(this.options.batchSize, this.options.maxInFlight - this.held.size),
            WaitTimeSeconds: this.options.waitSeconds,
            VisibilityTimeout: this.options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = out.Messages ?? [];
        backoff.reset();
        this.failingSince = undefined;
      } catch (error) {
        if (this.stopping) return;
        this.counters.receiveErrors++;
        this.lastError = describe(error);
        this.failingSince ??= this.timers.now();
        const backoffMs = backoff.next();
        this.log.warn({ err: error, retryInMs: backoffMs }, 'receiving from the queue failed; trying again');
        await this.sleep(backoffMs);
        continue;
      }
      this.counters.receives++;
      for (const message of messages) this.take(message);
    }
  }

  private take(message: Message): void {
    const now = this.timers.now();
    this.counters.received++;
    this.lastReceivedAt = now;
    const receipt = message.ReceiptHandle;
    if (receipt === undefined) return;
    if (Number(message.Attributes?.ApproximateReceiveCount ?? '1') > 1) this.counters.redeliveries++;
    const reading = readEventBridgeMessage(message.Body, now);
    if (reading.kind === 'poison') {
      // Not held, not deleted: it comes back after its visibility timeout, and the redrive policy ends it.
      this.counters.poison++;
      if (!this.poisonReasons.has(reading.reason)) {
        this.poisonReasons.add(reading.reason);
        this.log.warn(
          {
            messageId: message.MessageId,
            reason: reading.reason,
            receiveCount: message.Attributes?.ApproximateReceiveCount,
          },
          'a message that is no EventBridge notification is left for the dead-letter queue',
        );
      }
      return;
    }
    if (reading.happenedAt !== undefined) this.lagMs = now - reading.happenedAt;
    const held: Held = {
      receipt,
      messageId: message.MessageId ?? '',
      receivedAt: now,
      visibleUntil: now + this.options.visibilityTimeoutSeconds * 1000,
      acknowledgedAt: undefined,
    };
    this.held.set(receipt, held);
    const notification = reading.notification;
    notification.acknowledge = () => this.acknowledged(held);
    notification.refuse = () => this.refused(held);
    try {
      this.handler?.(notification);
    } catch (error) {
      this.log.error(
        { err: error, messageId: held.messageId },
        'a notification could not be handled; it will come back',
      );
    }
  }

  private acknowledged(held: Held): void {
    if (held.acknowledgedAt !== undefined || !this.held.has(held.receipt)) return;
    held.acknowledgedAt = this.timers.now();
    this.toDelete.push(held);
    if (this.deleteTimer === undefined && !this.stopping) {
      this.deleteTimer = this.timers.setTimeout(() => {
        this.deleteTimer = undefined;
        void this.deleteAcknowledged();
      }, this.options.deleteDelayMs);
    }
  }

  /** The pipeline could not read it: let go (not deleted), it comes back and the redrive policy ends it. */
  private refused(held: Held): void {
    if (held.acknowledgedAt !== undefined || !this.held.delete(held.receipt)) return;
    this.counters.poison++;
    this.wakeReceivers();
  }

  /** Deletes what was acknowledged, once the stream says it is safe; one pass at a time. */
  private deleteAcknowledged(): Promise<void> {
    this.deleting ??= this.deletePass().finally(() => {
      this.deleting = undefined;
    });
    return this.deleting;
  }

  private async deletePass(): Promise<void> {
    while (this.toDelete.length > 0) {
      const batch = this.toDelete;
      this.toDelete = [];
      const upTo = Math.max(...batch.map((h) => h.acknowledgedAt ?? 0));
      let safe = true;
      try {
        safe = this.safety === undefined ? true : await this.safety(upTo);
      } catch (error) {
        safe = false;
        this.log.warn({ err: error }, 'could not tell whether delivered events are safe; deleting later');
      }
      if (!safe) {
        // Kept (and kept invisible) until the sinks have them: tried again shortly.
        this.toDelete = batch.concat(this.toDelete);
        if (!this.stopping && this.deleteTimer === undefined) {
          this.deleteTimer = this.timers.setTimeout(() => {
            this.deleteTimer = undefined;
            void this.deleteAcknowledged();
          }, 1_000);
        }
        return;
      }
      await Promise.all(this.chunks(batch).map((chunk) => this.deleteChunk(chunk)));
    }
  }

  private async deleteChunk(chunk: Held[]): Promise<void> {
    const sdk = this.sdk!;
    try {
      const out = await this.client!.send(
        new sdk.DeleteMessageBatchCommand({
          QueueUrl: this.settings.queueUrl,
          Entries: chunk.map((h, i) => ({ Id: String(i), ReceiptHandle: h.receipt })),
        }),
      );
      for (const ok of out.Successful ?? []) {
        const h = chunk[Number(ok.Id)];
        if (h && this.held.delete(h.receipt)) this.counters.deleted++;
      }
      for (const failed of out.Failed ?? []) {
        const h = chunk[Number(failed.Id)];
        if (!h) continue;
        this.counters.deleteFailures++;
        this.held.delete(h.receipt);
        this.log.warn(
          { messageId: h.messageId, code: failed.Code },
          'the queue refused a delete: the message comes back, and its events repeat with the same ids',
        );
      }
    } catch (error) {
      this.lastError = describe(error);
      this.log.warn({ err: error, messages: chunk.length }, 'deleting from the queue failed; trying again');
      this.toDelete.push(...chunk);
      if (!this.stopping && this.deleteTimer === undefined) {
        this.deleteTimer = this.timers.setTimeout(() => {
          this.deleteTimer = undefined;
          void this.deleteAcknowledged();
        }, 1_000);
      }
    }
    this.wakeReceivers();
  }

  private wakeReceivers(): void {
    if (this.held.size < this.options.maxInFlight) for (const wake of this.capacityWaiters.splice(0)) wake();
  }

  /** Every few seconds: extends the visibility of held messages whose timeout is less than half left. */
  private scheduleExtend(): void {
    const everyMs = Math.max(1_000, Math.floor((this.options.visibilityTimeoutSeconds * 1000) / 4));
    this.extendTimer = this.timers.setTimeout(() => {
      void this.extend().finally(() => {
        if (!this.stopping) this.scheduleExtend();
      });
    }, everyMs);
  }

  private async extend(): Promise<void> {
    const now = this.timers.now();
    const visibilityMs = this.options.visibilityTimeoutSeconds * 1000;
    const maxHoldMs = this.options.maxHoldSeconds * 1000;
    const due: Held[] = [];
    for (const h of this.held.values()) {
      if (h.visibleUntil - now >= visibilityMs / 2) continue;
      if (h.acknowledgedAt === undefined && now - h.receivedAt >= maxHoldMs) {
        // Held too long without an acknowledgement: let go, it comes back.
        this.held.delete(h.receipt);
        continue;
      }
      if (now + visibilityMs - h.receivedAt < MAX_VISIBILITY_MS) due.push(h);
    }
    this.wakeReceivers();
    if (due.length > 0) await this.changeVisibility(due, this.options.visibilityTimeoutSeconds);
  }

  private async changeVisibility(messages: Held[], seconds: number): Promise<void> {
    const sdk = this.sdk;
    if (!sdk || !this.client || messages.length === 0) return;
    await Promise.all(
      this.chunks(messages).map(async (chunk) => {
        const now = this.timers.now();
        try {
          const out = await this.client!.send(
            new sdk.ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.settings.queueUrl,
              Entries: chunk.map((h, i) => ({
                Id: String(i),
                ReceiptHandle: h.receipt,
                VisibilityTimeout: seconds,
              })),
            }),
          );
          for (const ok of out.Successful ?? []) {
            const h = chunk[Number(ok.Id)];
            if (!h) continue;
            h.visibleUntil = now + seconds * 1000;
            if (seconds > 0) this.counters.visibilityExtensions++;
          }
          for (const failed of out.Failed ?? []) {
            const h = chunk[Number(failed.Id)];
            // No longer in flight (its timeout passed): it is someone's again; a late delete of it does nothing.
            if (h && /MessageNotInflight|ReceiptHandleIsInvalid/.test(failed.Code ?? ''))
              this.held.delete(h.receipt);
          }
        } catch (error) {
          this.lastError = describe(error);
          this.log.warn({ err: error }, 'changing message visibility failed');
        }
      }),
    );
    this.wakeReceivers();
  }

  private chunks(list: Held[]): Held[][] {
    const out: Held[][] = [];
    for (let i = 0; i < list.length; i += 10) out.push(list.slice(i, i + 10));
    return out;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(resolve, ms);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          this.timers.clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  private async withTimeout(work: Promise<void>, ms: number): Promise<void> {
    let timer: unknown;
    await Promise.race([
      work,
      new Promise<void>((resolve) => {
        timer = this.timers.setTimeout(resolve, ms);
      }),
    ]);
    this.timers.clearTimeout(timer);
  }
}
