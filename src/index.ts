/**
 * genesys-switchboard: the durable conversation event stream from Genesys Cloud — the stream with its options,
 * status events and health, the lifecycle events it derives, the sinks it delivers them to, the platform client it
 * runs on, configuration loading and the errors each of them can throw.
 *
 * The other entry points are `genesys-switchboard/emulator` (a local Genesys Cloud for tests and demos),
 * `/proactive` (the proactive engagement engine), `/cluster` (replicas over NATS JetStream and PostgreSQL) and
 * `/service` (the whole process). Importing this one loads none of them, nor the NATS or PostgreSQL clients:
 * `createSink('nats://…')` loads the NATS client when the sink first connects, `openStore('postgres://…')` loads
 * PostgreSQL's.
 */

export type { BackoffSettings, RetrySettings } from './backoff.js';
export type { DeriveResult } from './conversations/batch.js';
export type { CheckpointConversation, DeriverCheckpoint } from './conversations/checkpoint.js';
export type { WrapupInput } from './conversations/deriver.js';
export {
  type ConversationSnapshot,
  LifecycleDeriver,
  type LifecycleDeriverOptions,
  parseConversationSnapshot,
  type RetentionOptions,
} from './conversations/index.js';
export type { ParticipantSnapshot, TransferSnapshot } from './conversations/snapshot.js';
export type { TableStats } from './conversations/state.js';
export * from './errors.js';
export * from './events.js';
export type { EventHandler } from './fan-out.js';
export { type CreateLoggerOptions, createLogger, type Logger, silentLogger } from './logging.js';
export {
  ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
  type IntakeHealth,
  type LifecycleStream,
  type StreamCheckpoint,
  type StreamHealth,
} from './pipeline/conversation-stream.js';
export type { PipelineStats } from './pipeline/event-pipeline.js';
export {
  type BudgetPurpose,
  ClientClosedError,
  collectAll,
  createPlatformClient,
  knownRegions,
  type LoadPlatformSettingsOptions,
  loadPlatformSettings,
  type Models,
  type PagedListing,
  type PageFetcher,
  type PaginateOptions,
  type PlatformClient,
  type PlatformClientOptions,
  type PlatformClientStats,
  type PlatformRequest,
  type PlatformResponse,
  type PlatformSettings,
  paginate,
  type QueryValue,
  type RateBudgetOptions,
  type ResolvedRegion,
  type RetryOptions,
  resolveRegion,
  type SettingSource,
} from './platform/index.js';
export type { BudgetState, PurposeState } from './platform/rate-budget.js';
export type { RequestStats } from './platform/request-pipeline.js';
export {
  ATTEMPT_HEADER,
  type CommonSinkConfig,
  type CreateSinkOptions,
  createFileSink,
  createSink,
  createSinks,
  createStdoutSink,
  createWebhookSink,
  type DeliveryContext,
  DeliveryError,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  EventDispatcher,
  type EventSink,
  type FileSinkConfig,
  type FileSinkOptions,
  type FileSinkSettings,
  type FlushOptions,
  type OutboxSettings,
  type OverflowPolicy,
  parseSinkSpec,
  QueuedSink,
  type QueuedSinkOptions,
  SIGNATURE_HEADER,
  SinkClosedError,
  type SinkConfig,
  type SinkErrorSummary,
  type SinkHealth,
  type SinkTransport,
  type StdoutSinkConfig,
  type StdoutSinkOptions,
  signWebhookBody,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  type WaitOptions,
  type WebhookSinkConfig,
  type WebhookSinkOptions,
  type WebhookSinkSettings,
  type WebhookVerificationInput,
} from './sinks/index.js';
export { type OpenStoreOptions, openStore } from './store/open-store.js';
export { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export type { Checkpoint, CheckpointStore, PutCheckpointOptions, SwitchboardStore } from './store/store.js';
export type { BackfillProgress, BackfillReport } from './stream/backfiller.js';
export type { ChannelHealth } from './stream/channel-connection.js';
export type { PoolHealth } from './stream/channel-pool.js';
export type { Notification, SystemMessageType } from './stream/frames.js';
export type { TopicSubscriptionResult } from './stream/port.js';
export { FrameRecorder } from './stream/recording.js';
export {
  ReplaySource,
  type ReplaySourceOptions,
  type ReplayStats,
  type UnreadableLine,
} from './stream/replay-source.js';
export type { NotificationHandler, NotificationSource, SourceStats } from './stream/source.js';
export type {
  CloseCause,
  Gap,
  GapReason,
  ReplaceReason,
  StreamStatus,
  StreamStatusType,
} from './stream/status.js';
export type { SelectorValue, TopicSelection } from './stream/topic-selector.js';
