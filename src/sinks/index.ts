/** Sinks: where lifecycle events go. One interface, several implementations, one outbox design shared by all. */
export { type DeadLetterReason, DeadLetters } from './dead-letter.js';
export { EventDispatcher } from './dispatcher.js';
export { DeliveryError, SinkClosedError } from './errors.js';
export {
  createFileSink,
  DEFAULT_FILE_SETTINGS,
  type FileSinkConfig,
  type FileSinkOptions,
  type FileSinkSettings,
  FileTransport,
} from './file.js';
export { type CommonSinkConfig, type CreateSinkOptions, parsePolicy } from './kind.js';
export {
  createNatsSink,
  NatsSink,
  type NatsSinkConfig,
  type NatsSinkOptions,
} from './nats.js';
export {
  type NatsPublishStats,
  NatsTransport,
  type NatsTransportOptions,
  type PublishStamp,
  type PublishStampHook,
} from './nats-transport.js';
export { MemoryOutbox, type Outbox, type OutboxItem } from './outbox.js';
export {
  DEFAULT_DISK_CAPACITY,
  DEFAULT_MEMORY_CAPACITY,
  DEFAULT_OUTBOX_MAX_BYTES,
  DEFAULT_SINK_RETRY,
  type OutboxSettings,
  outboxFileStem,
  QueuedSink,
  type QueuedSinkOptions,
} from './queued-sink.js';
export { type SinkConfig, sinkSpecUsage } from './registry.js';
export {
  ATTEMPT_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type WebhookVerificationInput,
} from './signature.js';
export { createSink, createSinks, outboxDirBesideStore, parseSinkSpec } from './spec.js';
export { SqliteOutbox } from './sqlite-outbox.js';
export {
  createStdoutSink,
  type StdoutSinkConfig,
  type StdoutSinkOptions,
  StreamTransport,
  toJsonLines,
} from './stdout.js';
export type {
  DeliveryContext,
  EventSink,
  FlushOptions,
  OverflowPolicy,
  SinkErrorSummary,
  SinkHealth,
  SinkTransport,
  WaitOptions,
} from './types.js';
export {
  createWebhookSink,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  describeUrl,
  type WebhookSinkConfig,
  type WebhookSinkOptions,
  type WebhookSinkSettings,
  WebhookTransport,
} from './webhook.js';
