/**
 * genesys-switchboard/cluster: one process as a replica of a set sharing one OAuth client — `ClusterStream` (the
 * stream of the shards this replica owns), the bus (NATS JetStream: connection, event stream, durable consumer),
 * the `nats` sink that publishes to it, and the PostgreSQL store the replicas share.
 */
export {
  type Bus,
  type ConnectBusOptions,
  type ConsumeEventsOptions,
  connectBus,
  consumeEvents,
  conversationFilter,
  DEFAULT_EVENT_STREAM,
  DEFAULT_SUBJECT_PREFIX,
  type EventConsumer,
  type EventConsumerStats,
  type EventStreamInfo,
  type EventStreamOptions,
  ensureEventStream,
  typeFilter,
} from '../bus/index.js';
export {
  type ClusterSettings,
  ClusterStream,
  type ClusterStreamHealth,
  type ClusterStreamOptions,
  checkClusterSettings,
} from '../cluster/cluster-stream.js';
export type { CoordinatorHealth, ShardView } from '../cluster/coordinator.js';
export {
  createNatsSink,
  NatsSink,
  type NatsSinkConfig,
  type NatsSinkOptions,
} from '../sinks/nats.js';
export type { NatsPublishStats, PublishStamp, PublishStampHook } from '../sinks/nats-transport.js';
export { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../store/postgres-store.js';
export { defaultReplicaId } from '../store/replica-id.js';
