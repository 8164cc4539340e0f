/**
 * The notification sources a config's `stream.source` asks for: the EventBridge integration's SQS queue instead of
 * the WebSocket, or beside it (`[websocket, {eventbridge: …}]`).
 */
import { SqsSource } from '../eventbridge/index.js';
import type { Logger } from '../logging.js';
import type { NotificationSource } from '../stream/source.js';
import type { ServiceConfig } from './config.js';

/** An SQS source when the config's stream reads EventBridge (alone or beside the WebSocket); undefined otherwise. */
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

/** Where one process's stream reads from: a source in place of the live pool, and sources read beside it. */
export interface StreamSources {
  source?: NotificationSource;
  extraSources?: NotificationSource[];
}

/**
 * The stream's sources: `given` (a replay, another transport) or the config's queue in place of the live pool, or —
 * with both in the config — the queue beside the live pool (or beside `given`).
 */
export function sourcesFromConfig(
  config: ServiceConfig,
  logger: Logger,
  given?: NotificationSource,
): StreamSources {
  if (config.stream.bothSources) {
    const queue = sourceFromConfig(config, logger);
    return { ...(given ? { source: given } : {}), ...(queue ? { extraSources: [queue] } : {}) };
  }
  const source = given ?? sourceFromConfig(config, logger);
  return source ? { source } : {};
}
