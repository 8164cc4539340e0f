/** `switchboard replay`: the same events from a recording, no network. */
import type { Command } from 'commander';
import { createLogger } from '../../logging.js';
import { EventPipeline } from '../../pipeline/event-pipeline.js';
import { createSinks } from '../../sinks/index.js';
import { ReplaySource } from '../../stream/replay-source.js';
import { collect } from '../connection-options.js';

interface ReplayOptions {
  sink?: string[];
  speed: string;
  logLevel: string;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('Derive lifecycle events from a recording made with `listen --record` (no network)')
    .argument('<file>', 'recording: one received frame per JSON line')
    .option('--sink <spec>', 'stdout (default), file:path, webhook:url?secret=env:NAME (repeatable)', collect)
    .option('--speed <x>', '0: as fast as possible; 1: recorded pace; 10: ten times faster', '0')
    .option('--log-level <level>', 'logs go to stderr', 'info')
    .action(async (file: string, options: ReplayOptions) => {
      const logger = createLogger({ level: options.logLevel });
      const sinks = createSinks(options.sink?.length ? options.sink : ['stdout'], { logger });
      // No network: wrap-up codes that notifications never carry cannot be read, so those wrap-ups go out
      // flagged `codeLookupFailed` at once instead of waiting for analytics.
      const offline = () => Promise.reject(new Error('replay reads no REST'));
      const pipeline = new EventPipeline({
        reader: { readAnalytics: offline, readConversation: offline },
        lookups: { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 },
        deliver: (event) => sinks.publish(event),
        logger,
      });
      const source = new ReplaySource({
        file,
        speed: Number(options.speed) || 0,
        onMalformed: (line, reason) => logger.warn({ line, reason }, 'unreadable line skipped'),
        // A sink past its bound (policy stop) holds the replay until it has room: a recording is never dropped.
        whenReady: () => sinks.whenWritable(),
      });
      source.onNotification(pipeline.receive);
      await source.start();
      const stats = await source.finished();
      await pipeline.idle();
      pipeline.close();
      await sinks.close();
      const derived = pipeline.stats();
      // Frames of topics the deriver does not read, by topic family: a replay that derived little says why.
      logger.info(
        { ...stats, events: derived.eventsTotal, ignoredTopics: derived.ignoredTopics },
        'replay finished',
      );
    });
}
