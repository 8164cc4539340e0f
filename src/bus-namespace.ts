/**
 * The library's `bus` namespace: the bus (src/bus/: connection, event stream, consumer) and the names of the NATS
 * sink, which lives among the sinks (src/sinks/nats.ts) but was first published here.
 */
export * from './bus/index.js';
export {
  createNatsSink,
  defaultNatsSinkName,
  NatsSink,
  type NatsSinkConfig,
  type NatsSinkOptions,
} from './sinks/nats.js';
export {
  type NatsPublishStats,
  NatsTransport,
  type NatsTransportOptions,
  type PublishStamp,
  type PublishStampHook,
} from './sinks/nats-transport.js';
