/**
 * The lifecycle deriver: from whole-conversation notification snapshots to typed lifecycle events.
 */
export type { DeriveResult, WrapupLookup } from './batch.js';
export type { CheckpointConversation, CheckpointPendingWrapup, DeriverCheckpoint } from './checkpoint.js';
export { LifecycleDeriver, type LifecycleDeriverOptions, type WrapupInput } from './deriver.js';
export { parseConversationSnapshot } from './parse.js';
export {
  ConversationProcessor,
  type ConversationProcessorOptions,
  type ProcessorStats,
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
