/**
 * `switchboard listen`: lifecycle events as JSON lines on stdout, logs on stderr. From the Notification API's
 * WebSocket (the default), or with `--source eventbridge --queue-url <url>` from the SQS queue Genesys Cloud's
 * EventBridge integration fills.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { SqsSource } from '../../eventbridge/index.js';
import { createLogger, type Logger } from '../../logging.js';
import { createConversationStream } from '../../pipeline/conversation-stream.js';
import type { PlatformClient } from '../../platform/index.js';
import { nextStopSignal } from '../../service/signals.js';
import { createSinks, outboxDirBesideStore, sinkSpecUsage } from '../../sinks/index.js';
import { openStore } from '../../store/index.js';
import { FrameRecorder } from '../../stream/recording.js';
import { parseSelectorValue, type TopicSelection } from '../../stream/topic-selector.js';
import { addConnectionOptions, type ConnectionCliOptions, collect, connect } from '../connection-options.js';

interface ListenOptions extends ConnectionCliOptions {
  queues?: string;
  users?: string;
  topic?: string[];
  sink?: string[];
  record?: string;
  db: string | false;
  heartbeatInterval?: string;
  topicsPerChannel?: string;
  channelBudget?: string;
  source?: string;
  queueUrl?: string;
  sqsEndpoint?: string;
  awsRegion?: string;
}

/** Where notifications come from: the WebSocket (default), the EventBridge integration's SQS queue, or both. */
export type ListenSource =
  | { kind: 'websocket' }
  | { kind: 'eventbridge'; queueUrl: string }
  | { kind: 'both'; queueUrl: string };

/**
 * Reads `--source` and `--queue-url`: the EventBridge source needs the queue and takes no topic selectors;
 * `websocket,eventbridge` reads both into one pipeline (selectors for the WebSocket, the queue for EventBridge).
 */
export function sourceFromFlags(
  options: Pick<ListenOptions, 'source' | 'queueUrl' | 'queues' | 'users' | 'topic'>,
): ListenSource {
  const kind = options.source ?? 'websocket';
  if (kind === 'websocket,eventbridge' || kind === 'eventbridge,websocket') {
    if (!options.queueUrl)
      throw new ConfigError('Reading EventBridge beside the WebSocket needs the SQS queue its rule targets', {
        hint: 'Pass --queue-url https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>.',
      });
    return { kind: 'both', queueUrl: options.queueUrl };
  }
  if (kind === 'websocket') {
    if (options.queueUrl !== undefined)
      throw new ConfigError('--queue-url is for the EventBridge source', {
        hint: 'Add --source eventbridge to read the queue, or leave --queue-url out to use the WebSocket.',
      });
    return { kind };
  }
  if (kind !== 'eventbridge')
    throw new ConfigError(`Unknown source "${kind}"`, {
      hint: 'Use --source websocket (default), eventbridge, or websocket,eventbridge for both.',
    });
  if (!options.queueUrl)
    throw new ConfigError('The EventBridge source needs the SQS queue its rule targets', {
      hint: 'Pass --queue-url https://sqs.<region>.amazonaws.com/<account-id>/<queue-name>.',
    });
  if (options.queues !== undefined || options.users !== undefined || (options.topic?.length ?? 0) > 0)
    throw new ConfigError(
      '--queues, --users and --topic choose WebSocket topics; EventBridge delivers what its topic filters match',
      {
        hint: "Choose what to receive in the Genesys integration's topic filters (v2.detail.events.conversation.{id}.*), and leave the selectors out.",
      },
    );
  return { kind, queueUrl: options.queueUrl };
}

/**
 * The platform client for wrap-up codes the events did not carry. The EventBridge source works without one (detail
 * events carry their codes): missing credentials are then a note, not an error.
 */
function platformFor(
  options: ListenOptions,
  source: ListenSource,
): { logger: Logger; platform?: PlatformClient } {
  try {
    return connect(options);
  } catch (error) {
    if (source.kind !== 'eventbridge' || !(error instanceof ConfigError)) throw error;
    const logger = createLogger({ level: options.logLevel ?? 'info' });
    logger.info(
      { reason: error.message },
      'no Genesys Cloud credentials: wrap-up codes missing from the events will not be looked up',
    );
    return { logger };
  }
}

/** Turns the selector flags into a selection; at least one is required. */
export function selectionFromFlags(
  options: Pick<ListenOptions, 'queues' | 'users' | 'topic'>,
): TopicSelection {
  const queues = parseSelectorValue(options.queues);
  const users = parseSelectorValue(options.users);
  const topics = options.topic ?? [];
  if (!queues && !users && topics.length === 0) {
    throw new ConfigError('Nothing to listen to', {
      hint: 'Pass --queues all (or queue ids or names), --users all (or user ids), or --topic <topic>.',
    });
  }
  return { ...(queues ? { queues } : {}), ...(users ? { users } : {}), ...(topics.length ? { topics } : {}) };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${flag} must be a positive number, got "${value}"`);
  return n;
}

export function registerListenCommand(program: Command): void {
  addConnectionOptions(
    program
      .command('listen')
      .description(
        'Stream conversation lifecycle events (JSON lines on stdout) from the Notification API, or from EventBridge',
      )
      .option(
        '--source <websocket|eventbridge|websocket,eventbridge>',
        'where notifications come from (both: one pipeline, each fact once)',
        'websocket',
      )
      .option('--queue-url <url>', 'EventBridge source: the SQS queue its rule targets')
      .option('--sqs-endpoint <url>', "EventBridge source: an SQS endpoint other than the queue URL's host")
      .option(
        '--aws-region <region>',
        "EventBridge source: AWS region, if not the queue URL's nor $AWS_REGION",
      )
      .option('--queues <all|ids,names>', 'queues to follow: all, or a comma-separated list of ids or names')
      .option('--users <all|ids>', 'users to follow: all, or a comma-separated list of ids')
      .option('--topic <topic>', 'an extra raw topic (repeatable)', collect)
      .option('--sink <spec>', `${sinkSpecUsage()} (repeatable; stdout by default)`, collect)
      .option('--record <file>', 'also write every received frame as a JSON line (for replay)')
      .option(
        '--db <path>',
        'checkpoint store (SQLite file or postgres:// URL), so a restart neither repeats nor misses',
        './switchboard.db',
      )
      .option('--no-db', 'keep no checkpoint')
      .option('--heartbeat-interval <ms>', "the platform's heartbeat interval (30000 observed)")
      .option('--topics-per-channel <n>', 'topics per notification channel (max 1000)')
      .option('--channel-budget <n>', 'channels this process may use (max 20 per OAuth client)'),
  ).action(async (options: ListenOptions) => {
    const from = sourceFromFlags(options);
    const selection = from.kind === 'eventbridge' ? undefined : selectionFromFlags(options);
    const heartbeatIntervalMs = positive(options.heartbeatInterval, '--heartbeat-interval');
    const topicsPerChannel = positive(options.topicsPerChannel, '--topics-per-channel');
    const channelBudget = positive(options.channelBudget, '--channel-budget');
    const { logger, platform } = platformFor(options, from);
    const queue =
      from.kind !== 'websocket'
        ? new SqsSource({
            queueUrl: from.queueUrl,
            logger,
            ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}),
            ...(options.awsRegion ? { region: options.awsRegion } : {}),
          })
        : undefined;
    // Beside the checkpoint store, the sinks' outboxes survive a crash with it; without a store, in memory.
    const outboxDir = options.db === false ? undefined : outboxDirBesideStore(options.db);
    const sinks = createSinks(options.sink?.length ? options.sink : ['stdout'], {
      logger,
      ...(outboxDir ? { outboxDir } : {}),
    });
    const store = options.db === false ? undefined : await openStore(options.db);
    const recorder = options.record ? await FrameRecorder.open(options.record, { append: true }) : undefined;
    const stream = createConversationStream({
      ...(platform ? { platform } : {}),
      ...(selection ? { selection } : {}),
      ...(queue ? (selection ? { extraSources: [queue] } : { source: queue }) : {}),
      sinks,
      logger,
      ...(store ? { store } : {}),
      ...(recorder ? { recorder } : {}),
      ...(heartbeatIntervalMs ? { timing: { heartbeatIntervalMs } } : {}),
      ...(topicsPerChannel || channelBudget
        ? {
            plan: {
              ...(topicsPerChannel ? { topicsPerChannel } : {}),
              ...(channelBudget ? { channelBudget } : {}),
            },
          }
        : {}),
    });
    await stream.start();
    const pool = stream.health().pool;
    logger.info(
      from.kind === 'eventbridge'
        ? { source: 'eventbridge', queueUrl: from.queueUrl }
        : {
            ...(from.kind === 'both' ? { source: 'websocket,eventbridge', queueUrl: from.queueUrl } : {}),
            channels: pool?.channels.length,
            topics: pool?.topics,
            rejected: pool?.rejected.map((r) => ({
              topic: r.topic,
              missingPermissions: r.missingPermissions,
            })),
          },
      'listening',
    );
    const signal = await nextStopSignal();
    logger.info({ signal }, 'stopping');
    await stream.stop();
    await sinks.close();
    await store?.close();
    await platform?.close();
  });
}
