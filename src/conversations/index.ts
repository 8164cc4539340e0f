/**
 * The lifecycle deriver: from conversation notifications (whole snapshots and per-media topics), detail events,
 * analytics records and REST reads to typed lifecycle events; which topics it can read.
 */
export {
  type AnalyticsConversationRecord,
  type AnalyticsParticipant,
  type AnalyticsSegment,
  type AnalyticsSession,
  legsFromAnalytics,
} from './analytics-legs.js';
export type { DeriveResult, WrapupLookup } from './batch.js';
export type { CheckpointConversation, CheckpointPendingWrapup, DeriverCheckpoint } from './checkpoint.js';
export {
  classifyTopic,
  MEDIA_TOPICS,
  refuseUnusableTopics,
  type TopicSubject,
  type TopicUse,
  topicFamily,
} from './conversation-topics.js';
export { LifecycleDeriver, type LifecycleDeriverOptions, type WrapupInput } from './deriver.js';
export {
  type DetailAssemblerCheckpoint,
  type DetailAssemblerStats,
  DetailEventAssembler,
  type DetailEventAssemblerOptions,
} from './detail-assembler.js';
export {
  applyDetailRecord,
  DETAIL_EVENTS,
  type DetailConversation,
  type DetailEventName,
  type DetailEventReading,
  type DetailRecord,
  legsFromDetail,
  readDetailEvent,
} from './detail-events.js';
export { type ConversationLegs, type LegRecord, snapshotOfLegs } from './leg-record.js';
export { legsFromMediaTopic } from './media-topics.js';
export { parseConversationSnapshot } from './parse.js';
export {
  ConversationProcessor,
  type ConversationProcessorOptions,
  type ConversationReader,
  type ProcessorStats,
  type ProcessorTimers,
} from './processor.js';
export type {
  AfterCallWorkSnapshot,
  CommunicationSnapshot,
  ConversationSnapshot,
  ParticipantSnapshot,
  TransferSnapshot,
  WrapupSnapshot,
} from './snapshot.js';
export { DEFAULT_RETENTION, type RetentionOptions, type TableStats } from './state.js';
export type { DerivedWrapupEvent } from './wrapup.js';
