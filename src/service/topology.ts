/**
 * One process, or one replica of a set: the only place the service tells them apart.
 *
 * - **One process** runs the whole stream (the live channel pool, another notification source, or both) and feeds its
 *   proactive engine through a sink of its own, so events wait in that sink's outbox while the engine is slow or
 *   restarting. On stop the engine keeps reading until the stream has stopped, then drains its sink.
 * - **A replica** (the config has `bus:`) connects to NATS JetStream, publishes every event there first through a
 *   sink its shard leases fence, runs the shards it owns, and its engine reads the set's shared durable consumer.
 *   On stop the engine stops at once: what it had not settled goes back to the stream for another replica.
 */
import { consumeEvents } from '../bus/event-consumer.js';
import { ConfigError } from '../errors.js';
import { createNatsSink } from '../sinks/nats.js';
import { BusComponent } from './components/bus.js';
import type { EngineFeedPlan } from './components/engine.js';
import type { ExtraSinks } from './components/sinks.js';
import {
  ProcessStreamComponent,
  ReplicaStreamComponent,
  type StreamComponent,
  type StreamParts,
} from './components/stream.js';
import type { BusConfig } from './config.js';
import { createEngineSink, EngineFeed } from './engine-feed.js';
import type { StreamSources } from './eventbridge-source.js';

/** What differs between one process and a replica. */
export interface Topology {
  readonly kind: 'process' | 'replica';
  /** A replica's NATS connection; it starts after the store, before the sinks. */
  readonly bus: BusComponent | undefined;
  /** The sinks it adds around the configured ones (built as the sinks start). */
  extraSinks(): ExtraSinks;
  /** How the proactive engine reads the stream (when the config has a proactive section). */
  readonly engineFeed: EngineFeedPlan | undefined;
  readonly stream: StreamComponent;
}

/** Picks the topology the config asks for. */
export function chooseTopology(parts: StreamParts & StreamSources): Topology {
  return parts.config.bus ? replica(parts, parts.config.bus) : oneProcess(parts);
}

function oneProcess(parts: StreamParts & StreamSources): Topology {
  const { config, logger } = parts;
  const feed = config.proactive ? new EngineFeed() : undefined;
  let engineSink: ReturnType<typeof createEngineSink> | undefined;
  return {
    kind: 'process',
    bus: undefined,
    extraSinks: () => {
      if (!feed) return { before: [], after: [] };
      engineSink = createEngineSink(feed, logger, config.outboxDir);
      return { before: [], after: [{ sink: engineSink, description: 'the proactive engine' }] };
    },
    engineFeed: feed && {
      open: () => feed.open(),
      stopsAtOnce: false,
      // The events it had no time for stay in the sink's outbox for the next start.
      drain: async () => engineSink?.close({ timeoutMs: 2000 }),
    },
    stream: new ProcessStreamComponent(parts),
  };
}

function replica(parts: StreamParts & StreamSources, bus: BusConfig): Topology {
  const { config, status, logger } = parts;
  const cluster = config.cluster;
  if (!cluster) {
    throw new ConfigError('The config has a bus but no cluster settings.', {
      hint: 'A bus makes this process one replica of a set: give it a cluster section (replicaId, shards, …).',
    });
  }
  if (parts.source || parts.extraSources?.length) {
    throw new ConfigError('A replica reads its shards from notification channels, not from another source.', {
      hint: 'Run one process (no bus) to read from another source.',
    });
  }
  const connection = new BusComponent(bus, { replicaId: cluster.replicaId, status, logger });
  const stream = new ReplicaStreamComponent({ ...parts, cluster, bus: connection });
  return {
    kind: 'replica',
    bus: connection,
    extraSinks: () => ({
      before: [
        {
          sink: createNatsSink(
            {
              kind: 'nats',
              url: bus.url,
              stream: bus.stream,
              subjectPrefix: bus.subjectPrefix,
              // In memory: the checkpoint of a replica waits for JetStream's ack, so a successor loses nothing; past
              // the bound (a long NATS outage) the shard stops reading and backfills once NATS has room again.
              outbox: { capacity: bus.outboxCapacity, policy: 'stop' },
              // Retried until NATS takes them (or the lease is lost), soon after it is back.
              retry: { initialDelayMs: 200, maxDelayMs: 2000 },
            },
            { bus: connection.bus, stamp: stream.stamp, logger },
          ),
          description: 'nats (JetStream)',
        },
      ],
      after: [],
    }),
    // Every run of the engine opens its own consumer: what a dead run had not settled goes back to the stream.
    engineFeed: config.proactive && {
      open: () => {
        const consumer = consumeEvents(connection.bus, { stream: bus.stream, durable: bus.durable, logger });
        return { events: consumer.events, onEventSettled: consumer.settle, close: () => consumer.close() };
      },
      stopsAtOnce: true,
    },
    stream,
  };
}
