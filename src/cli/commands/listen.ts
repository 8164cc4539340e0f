/** `switchboard listen`: lifecycle events as JSON lines on stdout, logs on stderr. */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { createConversationStream } from '../../pipeline/conversation-stream.js';
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
      .description('Stream conversation lifecycle events (JSON lines on stdout) from the Notification API')
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
    const selection = selectionFromFlags(options);
    const heartbeatIntervalMs = positive(options.heartbeatInterval, '--heartbeat-interval');
    const topicsPerChannel = positive(options.topicsPerChannel, '--topics-per-channel');
    const channelBudget = positive(options.channelBudget, '--channel-budget');
    const { logger, platform } = connect(options);
    // Beside the checkpoint store, the sinks' outboxes survive a crash with it; without a store, in memory.
    const outboxDir = options.db === false ? undefined : outboxDirBesideStore(options.db);
    const sinks = createSinks(options.sink?.length ? options.sink : ['stdout'], {
      logger,
      ...(outboxDir ? { outboxDir } : {}),
    });
    const store = options.db === false ? undefined : await openStore(options.db);
    const recorder = options.record ? await FrameRecorder.open(options.record, { append: true }) : undefined;
    const stream = createConversationStream({
      platform,
      selection,
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
      {
        channels: pool?.channels.length,
        topics: pool?.topics,
        rejected: pool?.rejected.map((r) => ({ topic: r.topic, missingPermissions: r.missingPermissions })),
      },
      'listening',
    );
    const signal = await nextStopSignal();
    logger.info({ signal }, 'stopping');
    await stream.stop();
    await sinks.close();
    await store?.close();
    await platform.close();
  });
}
