/**
 * Where notifications come from. Like a Slack Bolt receiver, a source only transports: it turns frames into
 * notifications and hands each one to a single handler; what happens next (lifecycles, sinks) is not its business.
 * Implementations: the live {@link WebSocketSource}, the {@link ReplaySource} reading a recording, and the
 * EventBridge integration's SQS queue (`src/eventbridge/sqs-source.ts`), which deletes each message once the
 * pipeline acknowledged it and the stream's safety check says its events are safe.
 */
import type { Notification } from './frames.js';

export type NotificationHandler = (notification: Notification) => void;

/**
 * Resolves true once what the pipeline acknowledged at `acknowledgedAt` (epoch ms) is safe to let go of — its events
 * are held by the sinks (and, with a store, by a checkpoint) — or false when that could not be made sure of in time.
 */
export type SafetyCheck = (acknowledgedAt: number) => Promise<boolean>;

/** A source's own account of itself, for health, metrics and the dashboard (`kind` names the source). */
export interface SourceStats {
  kind: string;
  [key: string]: unknown;
}

/** A supplier of notifications. */
export interface NotificationSource {
  /** Starts delivering to the handler set with {@link onNotification}. */
  start(): Promise<void>;
  /** Stops delivering and releases sockets, files and timers. */
  stop(): Promise<void>;
  /** Sets the one receiver of every notification. */
  onNotification(handler: NotificationHandler): void;
  /**
   * For sources that acknowledge what they deliver (SQS deletes): how to know that acknowledged notifications'
   * events are safe. The stream gives it before starting the source.
   */
  useSafetyCheck?(check: SafetyCheck): void;
  /** Its own counters, when it keeps any. */
  stats?(): SourceStats;
}
