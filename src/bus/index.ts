/** The event bus: NATS JetStream as the place lifecycle events are published to and consumed from. */
export {
  type Bus,
  type ConnectBusOptions,
  connectBus,
  MIN_NATS_VERSION,
  versionAtLeast,
} from './connection.js';
export {
  type ConsumeEventsOptions,
  consumeEvents,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_ACK_PENDING,
  decodeLifecycleEvent,
  type EventConsumer,
  type EventConsumerStats,
  isLifecycleEvent,
} from './event-consumer.js';
export {
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_AGE_MS,
  type EventStreamInfo,
  type EventStreamOptions,
  ensureEventStream,
} from './event-stream.js';
export {
  busSubject,
  checkStreamName,
  checkSubjectPrefix,
  conversationFilter,
  DEFAULT_EVENT_STREAM,
  DEFAULT_SUBJECT_PREFIX,
  eventTypeToken,
  typeFilter,
} from './subjects.js';
export { type BusUrl, DEFAULT_NATS_PORT, describeBusUrl, parseBusUrl } from './url.js';
