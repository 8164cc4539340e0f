/**
 * What the `nats` sink needs of the NATS client at run time. nats-transport.ts loads this module when it first sets
 * up, so a program that never publishes to NATS never loads the client (nor pays for it at start-up).
 */
export { JetStreamApiError } from '@nats-io/jetstream';
export { headers, TimeoutError } from '@nats-io/transport-node';
export { connectBus } from '../bus/connection.js';
export { ensureEventStream } from '../bus/event-stream.js';
