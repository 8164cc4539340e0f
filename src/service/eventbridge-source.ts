/** The notification source a config's `stream.source` asks for: the EventBridge integration's SQS queue. */
import { SqsSource } from '../eventbridge/index.js';
import type { Logger } from '../logging.js';
import type { NotificationSource } from '../stream/source.js';
import type { ServiceConfig } from './config.js';

/** An SQS source when the config's stream reads EventBridge; undefined for the WebSocket (the default). */
export function sourceFromConfig(config: ServiceConfig, logger: Logger): NotificationSource | undefined {
  const eventBridge = config.stream.eventBridge;
  if (!eventBridge) return undefined;
  return new SqsSource({
    queueUrl: eventBridge.queueUrl,
    logger,
    ...(eventBridge.region ? { region: eventBridge.region } : {}),
    ...(eventBridge.endpoint ? { endpoint: eventBridge.endpoint } : {}),
  });
}
