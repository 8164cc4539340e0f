/**
 * Where notifications come from. Like a Slack Bolt receiver, a source only transports: it turns frames into
 * notifications and hands each one to a single handler; what happens next (lifecycles, sinks) is not its business.
 * Implementations: the live {@link WebSocketSource} and the {@link ReplaySource} reading a recording.
 */
import type { Notification } from './frames.js';

export type NotificationHandler = (notification: Notification) => void;

/** A supplier of notifications. */
export interface NotificationSource {
  /** Starts delivering to the handler set with {@link onNotification}. */
  start(): Promise<void>;
  /** Stops delivering and releases sockets, files and timers. */
  stop(): Promise<void>;
  /** Sets the one receiver of every notification. */
  onNotification(handler: NotificationHandler): void;
}
