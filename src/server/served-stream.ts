/**
 * The stream as the HTTP face reads it. The pipeline's health knows nothing of replicas (the pipeline is below the
 * cluster); a replica's stream adds its coordinator's health, which readiness, metrics and the JSON API show.
 */
import type { CoordinatorHealth } from '../cluster/coordinator.js';
import type { LifecycleStream, StreamHealth } from '../pipeline/conversation-stream.js';

/** One process's stream health, or one replica's with `cluster`: shard ownership, leases and hand-overs. */
export type ServedStreamHealth = StreamHealth & { cluster?: CoordinatorHealth };

/** One process's `ConversationStream` or one replica's `ClusterStream`. */
export type ServedStream = LifecycleStream<ServedStreamHealth>;
