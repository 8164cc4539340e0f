/**
 * `switchboard replay`: the same events from a file, no network. It reads recordings made with `listen --record`,
 * bare notification lines as loggers and public captures hold them, and EventBridge events, in any mix (see
 * `src/stream/replay-source.ts`), and ends with a summary on stderr: lines read, events, lines ignored and lines
 * unreadable (by line number and reason, never their content).
 */
import type { Command } from 'commander';
import { pino } from 'pino';
import { createLogger } from '../../logging.js';
import { EventPipeline, type PipelineStats } from '../../pipeline/event-pipeline.js';
import { createSinks, sinkSpecUsage } from '../../sinks/index.js';
import { ReplaySource, type ReplayStats } from '../../stream/replay-source.js';
import { collect } from '../connection-options.js';

/** Exit code when the file holds nothing that could be read (empty, or every line unreadable): EX_DATAERR. */
export const REPLAY_UNREADABLE_EXIT_CODE = 65;
/** Exit code when the file cannot be opened or read (missing, a directory, no permission): EX_NOINPUT. */
export const REPLAY_NO_INPUT_EXIT_CODE = 66;

/** Unreadable lines logged one by one; the rest are only counted. */
const LOGGED_UNREADABLE = 5;

const FORMATS_HINT =
  'replay reads one JSON object per line: notifications as the platform sends them ({"topicName": …, "eventBody": …}), ' +
  'recordings made with `switchboard listen --record`, or EventBridge events; not a JSON array, not pretty-printed JSON.';

interface ReplayOptions {
  sink?: string[];
  speed: string;
  logLevel: string;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'Derive lifecycle events from a recording (`listen --record`) or from notification lines (no network)',
    )
    .argument(
      '<file>',
      'JSON lines: recorded frames, bare notifications ({"topicName", "eventBody", ...}) or EventBridge events',
    )
    .option('--sink <spec>', `${sinkSpecUsage()} (repeatable; stdout by default)`, collect)
    .option(
      '--speed <x>',
      '0: as fast as possible; 1: recorded pace; 10: ten times faster (bare lines carry no time: never paced)',
      '0',
    )
    .option('--log-level <level>', 'logs go to stderr', 'info')
    .action(async (file: string, options: ReplayOptions) => {
      // Synchronous logs: they share stderr with the summary, which must come after them.
      const logger = createLogger({
        level: options.logLevel,
        destination: pino.destination({ fd: 2, sync: true }),
      });
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
      let logged = 0;
      const source = new ReplaySource({
        file,
        speed: Number(options.speed) || 0,
        onMalformed: (line, reason) => {
          // The summary lists the first few; a file of garbage is not logged line by line.
          if (logged++ < LOGGED_UNREADABLE) logger.warn({ line, reason }, 'unreadable line skipped');
        },
        // A sink past its bound (policy stop) holds the replay until it has room: a recording is never dropped.
        whenReady: () => sinks.whenWritable(),
      });
      source.onNotification(pipeline.receive);
      let stats: ReplayStats;
      try {
        await source.start();
        stats = await source.finished();
        // The recording is over: detail events still held are derived, and conversations whose legs all ended end.
        pipeline.finishDetailEvents();
      } catch (error) {
        pipeline.close();
        await sinks.close();
        cannotRead(file, error);
        return;
      }
      await pipeline.idle();
      pipeline.close();
      await sinks.close();
      const derived = pipeline.stats();
      // Frames of topics the deriver does not read, by topic family: a replay that derived little says why.
      logger.info(
        { ...stats, events: derived.eventsTotal, ignoredTopics: derived.ignoredTopics },
        'replay finished',
      );
      process.stderr.write(formatReplaySummary(file, stats, derived));
      const readable = stats.lines - stats.blank - stats.unreadable;
      if (readable === 0) {
        fail(
          stats.lines === stats.blank
            ? `${file} is empty: nothing to replay.`
            : `Nothing in ${file} could be read: ${count(stats.unreadable, 'line')}, none of them a notification or a recorded frame.`,
          stats.lines === stats.blank
            ? 'Record with `switchboard listen --record <file>`, or give a file of notification lines.'
            : FORMATS_HINT,
        );
      }
    });
}

/** The summary a replay ends with: what was read, what was derived, what was skipped and why. */
export function formatReplaySummary(
  file: string,
  stats: ReplayStats,
  derived: Pick<PipelineStats, 'eventsTotal' | 'otherTopics' | 'ignoredTopics' | 'malformed'>,
): string {
  const out: string[] = [
    `replay of ${file}: ${count(stats.lines, 'line')} read, ${count(derived.eventsTotal, 'event')}`,
  ];
  const kinds = [
    stats.recorded > 0 ? count(stats.recorded, 'recorded frame') : '',
    stats.bare > 0 ? count(stats.bare, 'bare notification') : '',
    stats.eventBridge > 0 ? count(stats.eventBridge, 'EventBridge event') : '',
    stats.blank > 0 ? count(stats.blank, 'blank line') : '',
    stats.unreadable > 0 ? `${stats.unreadable} unreadable` : '',
  ].filter(Boolean);
  if (kinds.length > 0) out.push(`  lines:      ${kinds.join(', ')}`);
  const ignored = stats.control + derived.otherTopics;
  if (ignored > 0) {
    const families = Object.entries(derived.ignoredTopics)
      .map(([family, n]) => `${family}: ${n}`)
      .join(', ');
    const parts = [
      stats.control > 0
        ? `${stats.control} ${stats.control === 1 ? 'heartbeat, pong or system message' : 'heartbeats, pongs or system messages'}`
        : '',
      derived.otherTopics > 0 ? `${derived.otherTopics} on topics not derived from: ${families}` : '',
    ].filter(Boolean);
    out.push(`  ignored:    ${ignored} (${parts.join('; ')})`);
  }
  if (stats.unreadable > 0) {
    const first = stats.firstUnreadable.map((u) => `line ${u.line}: ${u.reason}`).join('; ');
    const more = stats.unreadable - stats.firstUnreadable.length;
    out.push(`  unreadable: ${stats.unreadable} (${first}${more > 0 ? `; ${more} more` : ''})`);
  }
  if (derived.malformed > 0) {
    out.push(`  snapshots the deriver could not read: ${derived.malformed} (see the warnings above)`);
  }
  if (stats.bare > 0) {
    out.push(
      '  bare notifications carry no receive time: they are replayed in file order, never paced, and their events are observed at the time of this replay',
    );
  }
  return `${out.join('\n')}\n`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function fail(message: string, hint: string, code = REPLAY_UNREADABLE_EXIT_CODE): void {
  process.stderr.write(`switchboard: ${message}\n  hint: ${hint}\n`);
  process.exitCode = code;
}

/** A file that cannot be opened or read: a message with the system's reason, not a stack. */
function cannotRead(file: string, error: unknown): void {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') throw error;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code;
  fail(
    `Cannot read ${file}: ${why}.`,
    'Give the path of a recording (`listen --record <file>`) or a file of notification lines.',
    REPLAY_NO_INPUT_EXIT_CODE,
  );
}
