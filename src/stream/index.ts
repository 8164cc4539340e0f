/** Public API of the stream layer: notification channels, frames, sources, gaps and backfill. */
export {
  Backfiller,
  type BackfillerOptions,
  type BackfillReport,
  type BackfillSource,
  type RecoveredConversation,
} from './backfiller.js';
export { type ChannelAllowance, ChannelBudget, type ChannelClaim } from './channel-budget.js';
export {
  ChannelConnection,
  type ChannelConnectionOptions,
  type ChannelHealth,
  type ConnectionState,
} from './channel-connection.js';
export { ChannelPool, type ChannelPoolOptions, type PoolHealth } from './channel-pool.js';
export {
  type Frame,
  type Heartbeat,
  type MalformedFrame,
  type Notification,
  PING_FRAME,
  type Pong,
  parseFrame,
  type SystemMessage,
  type SystemMessageType,
} from './frames.js';
export type {
  AnalyticsConversation,
  ChannelInfo,
  ConversationDetailsPage,
  ConversationDetailsQuery,
  DirectoryEntry,
  NotificationsPort,
  TopicSubscriptionResult,
} from './port.js';
export { FrameRecorder, type RecordedFrame } from './recording.js';
export {
  ReplaySource,
  type ReplaySourceOptions,
  type ReplayStats,
  type UnreadableLine,
} from './replay-source.js';
export { ChannelBudgetError } from './retry.js';
export type { NotificationHandler, NotificationSource } from './source.js';
export type {
  CloseCause,
  Gap,
  GapReason,
  ReplaceReason,
  StreamStatus,
  StreamStatusType,
} from './status.js';
export {
  type ConnectionTiming,
  type ConnectionTimingOptions,
  DEFAULT_TIMING,
  type ReconnectBackoff,
  resolveTiming,
} from './timing.js';
export {
  type InvalidTopic,
  PLATFORM_CHANNEL_LIMIT,
  PLATFORM_TOPICS_PER_CHANNEL,
  type PlanChange,
  type PlannedChannel,
  TopicPlan,
  type TopicPlanOptions,
} from './topic-plan.js';
export {
  parseSelectorValue,
  type ResolvedTopics,
  type SelectorValue,
  TopicDiscovery,
  type TopicDiscoveryOptions,
  type TopicSelection,
  TopicSelector,
} from './topic-selector.js';
export {
  MAX_TOPIC_LENGTH,
  queueTopic,
  type TopicSubject,
  topicProblem,
  topicSubject,
  userTopic,
} from './topics.js';
export { WebSocketSource, type WebSocketSourceOptions } from './websocket-source.js';
