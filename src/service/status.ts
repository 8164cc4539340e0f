/**
 * What the service tells about itself as it runs, one typed event per fact (in the manner of nats.js connection
 * status): its parts starting and stopping, the channels' own status, gaps recovered, proactive decisions. The
 * operator's lines (`progress.ts`) and the dashboard listen to these; nothing polls.
 */
import { FanOut } from '../fan-out.js';
import type { ResolvedRegion } from '../platform/region.js';
import type { DecisionNote } from '../server/api-backend.js';
import type { BackfillReport } from '../stream/backfiller.js';
import type { PoolHealth } from '../stream/channel-pool.js';
import type { StreamStatus } from '../stream/status.js';
import type { TopicSelection } from '../stream/topic-selector.js';
import type { ShutdownReport } from './shutdown.js';

/** Where a component of the service is in its life. */
export type ComponentState = 'idle' | 'starting' | 'started' | 'failed' | 'stopping' | 'stopped';

/** Everything the service reports, one `type` per kind. */
export type ServiceStatus =
  /** The service is starting with this platform client; `proactive` says whether the engine is configured. */
  | { type: 'starting'; region: ResolvedRegion; clientId: string; proactive: boolean }
  /** A component entered a state (`error`: why it failed to start, in a few words). */
  | { type: 'component'; component: string; state: ComponentState; error?: string }
  | { type: 'listening'; url: string; tokenRequired: boolean }
  | { type: 'store-opened'; description: string }
  | {
      type: 'bus-connected';
      description: string;
      serverVersion: string;
      stream: string;
      subjectPrefix: string;
    }
  /** The sinks events go to, each described for the operator (none: the dashboard and API only). */
  | { type: 'sinks-opened'; sinks: string[] }
  | { type: 'engine-built'; rules: number; rulesFile: string; dryRun: boolean; ownClient?: string }
  /** The stream is connecting: resolving a topic selection, or starting another source (no selection). */
  | { type: 'connecting'; selection?: TopicSelection }
  /** A status event of the live channel pool (from its creation on). */
  | { type: 'channel'; status: StreamStatus }
  /** One process's stream started: every channel subscribed (no pool: the source started). */
  | { type: 'stream-started'; pool: PoolHealth | undefined }
  | { type: 'replica-joined'; replicaId: string; shards: number; spareChannels: number; leaseTtlMs: number }
  /** Every component started. */
  | { type: 'ready'; url: string; eventsSoFar: number }
  /** A gap recovered (`complete`), or tried and left open to be tried again. */
  | { type: 'backfill'; report: BackfillReport; complete: boolean }
  | { type: 'decision'; decision: DecisionNote }
  | { type: 'stopping'; reason: string }
  | { type: 'stopped'; report: ShutdownReport };

export type ServiceStatusType = ServiceStatus['type'];

/** The service's status events: `status.on('backfill', e => …)`, or `for await (const e of status)`. */
export class ServiceStatusStream extends FanOut<ServiceStatus> {}
