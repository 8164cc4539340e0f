/**
 * genesys-switchboard: the library entry. Everything a program needs to stream conversation events from Genesys
 * Cloud, deliver them, and test against the local emulator.
 */

export * as bus from './bus-namespace.js';
export {
  type ClusterSettings,
  ClusterStream,
  type ClusterStreamOptions,
  checkClusterSettings,
} from './cluster/cluster-stream.js';
export type { CoordinatorHealth, ShardView } from './cluster/coordinator.js';
export * from './conversations/index.js';
export { type Emulator, type StartEmulatorOptions, startEmulator } from './emulator/index.js';
export * from './errors.js';
export * from './events.js';
export { createLogger, type Logger, REDACT_PATHS, silentLogger } from './logging.js';
export {
  ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
  type LiveStream,
  type StreamCheckpoint,
  type StreamHealth,
} from './pipeline/conversation-stream.js';
export { type EventHandler, EventHub } from './pipeline/event-hub.js';
export { EventPipeline, type EventPipelineOptions, type PipelineStats } from './pipeline/event-pipeline.js';
export * from './platform/index.js';
export * as proactive from './proactive/index.js';
export { type Demo, type DemoOptions, startDemo } from './service/demo.js';
export { type Service, type StartServiceOptions, startService } from './service/service.js';
export * from './sinks/index.js';
export * from './store/index.js';
export * as stream from './stream/index.js';
