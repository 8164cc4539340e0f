/**
 * Genesys Cloud's Amazon EventBridge integration, read from the SQS queue an EventBridge rule targets: the source
 * behind the stream's `NotificationSource` seam, and the reading of its messages.
 */
export { type EventBridgeReading, readEventBridgeMessage } from './envelope.js';
export { regionOfQueueUrl, SqsSource, type SqsSourceOptions, type SqsSourceStats } from './sqs-source.js';
