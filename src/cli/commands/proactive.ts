/**
 * `switchboard proactive --rules rules.yaml [--dry-run] [--once] [--db path] [--bus nats://… [--durable name]
 * [--stream name]]`: runs the proactive engagement engine. `--once` does one pass (in-doubt sends settled, due
 * decisions, one sweep of every schedule rule) and exits; without it the engine keeps running sweeps and due
 * decisions until SIGINT/SIGTERM. With `--bus`, event-triggered rules get their events from the NATS JetStream
 * event stream through a durable consumer (replicas sharing the durable share the events), each acknowledged once
 * its decisions are recorded. Without it, event rules need the library (`engine.run({ events })`) or the service.
 */
import type { Command } from 'commander';
import { type Bus, connectBus } from '../../bus/connection.js';
import { consumeEvents, type EventConsumer } from '../../bus/event-consumer.js';
import { DEFAULT_EVENT_STREAM } from '../../bus/subjects.js';
import { ConfigError } from '../../errors.js';
import { createLogger, type Logger } from '../../logging.js';
import { createPlatformClient } from '../../platform/index.js';
import { loadPlatformSettings } from '../../platform/platform-settings.js';
import {
  type Decision,
  formatDecision,
  loadRulesFile,
  ProactiveEngine,
  type RunSummary,
} from '../../proactive/index.js';
import { isPostgresSpec, ledgerOf, openStore } from '../../store/index.js';

export interface ProactiveCliOptions {
  rules: string;
  dryRun?: boolean;
  once?: boolean;
  db: string;
  json?: boolean;
  region?: string;
  clientId?: string;
  clientSecret?: string;
  config?: string;
  /** NATS URL of the event bus: events come from its JetStream stream. */
  bus?: string;
  /** Durable consumer name on the bus (default `switchboard-proactive`). */
  durable?: string;
  /** Stream name on the bus (default `SWITCHBOARD_EVENTS`). */
  stream?: string;
}

/** The durable consumer proactive engines share unless told otherwise. */
export const DEFAULT_PROACTIVE_DURABLE = 'switchboard-proactive';

/** Where the command writes; tests pass their own. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  logger?: Logger;
  env?: Record<string, string | undefined>;
  /** Stops a live run (SIGINT/SIGTERM by default). */
  signal?: AbortSignal;
}

function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}

function countsLine(summary: RunSummary, dryRun: boolean): string {
  const parts = Object.entries(summary.counts).map(([status, n]) => `${n} ${status}`);
  return `${dryRun ? 'Dry run: nothing sent, nothing recorded. ' : ''}${summary.decisions.length} decision(s)${parts.length > 0 ? `: ${parts.join(', ')}` : ''}\n`;
}

/** What a run did: the decisions of a `--once` pass, and the rules stopped for a missing permission. */
export interface ProactiveCommandResult {
  summary?: RunSummary;
  stoppedRules: Map<string, string>;
}

/** Runs the command with parsed options. */
export async function runProactiveCommand(
  cli: ProactiveCliOptions,
  io: CommandIo,
): Promise<ProactiveCommandResult> {
  const logger = io.logger ?? createLogger({ name: 'proactive' });
  if (cli.bus !== undefined && cli.once) {
    throw new ConfigError('--bus feeds a live run; --once does a single pass without events.', {
      hint: 'Drop --once to run with the event bus, or drop --bus for a single pass.',
    });
  }
  if (cli.bus === undefined && (cli.durable !== undefined || cli.stream !== undefined)) {
    throw new ConfigError('--durable and --stream only apply with --bus.', {
      hint: 'Add --bus nats://host:4222.',
    });
  }
  const rules = loadRulesFile(cli.rules);
  const settings = loadPlatformSettings({
    region: cli.region,
    clientId: cli.clientId,
    clientSecret: cli.clientSecret,
    configFile: cli.config,
    ...(io.env ? { env: io.env } : {}),
  });
  const client = createPlatformClient({
    region: settings.region,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    logger,
  });
  // Connect before opening anything else: a wrong URL or a server without JetStream stops here, with a hint.
  let bus: Bus | undefined;
  try {
    if (cli.bus !== undefined)
      bus = await connectBus({ url: cli.bus, name: 'switchboard-proactive', logger });
  } catch (error) {
    await client.close();
    throw error;
  }
  let consumer: EventConsumer | undefined;
  const store = await openStore(cli.db);
  const print = (decision: Decision) =>
    io.stdout.write(cli.json ? `${JSON.stringify(decision)}\n` : formatDecision(decision));
  try {
    const engine = new ProactiveEngine({
      rules,
      client,
      ledger: ledgerOf(store),
      logger,
      dryRun: cli.dryRun ?? false,
      // With a ledger shared by engines in other processes, their fresh `sending` claims are theirs to finish.
      ...(isPostgresSpec(cli.db) ? { sendingStaleMs: 120_000 } : {}),
      onDecision: print,
    });
    for (const warning of rules.warnings) io.stderr.write(`warning: ${warning}\n`);
    if (cli.once) {
      const summary = await engine.runOnce();
      if (!cli.json) io.stdout.write(countsLine(summary, cli.dryRun ?? false));
      for (const [ruleId, why] of engine.stoppedRules) io.stderr.write(`rule ${ruleId} stopped: ${why}\n`);
      return { summary, stoppedRules: new Map(engine.stoppedRules) };
    }
    const signal = io.signal ?? stopSignal();
    if (bus) {
      const stream = cli.stream ?? DEFAULT_EVENT_STREAM;
      // A dry run acks what it reads: on the live engines' durable it would take their events away from them.
      const durable =
        cli.durable ?? (cli.dryRun ? `${DEFAULT_PROACTIVE_DURABLE}-dry-run` : DEFAULT_PROACTIVE_DURABLE);
      consumer = consumeEvents(bus, { stream, durable, logger });
      io.stderr.write(
        `reading events from ${bus.description}, stream ${stream}, durable consumer ${durable}\n`,
      );
      await engine.run({ signal, events: consumer.events, onEventSettled: consumer.settle });
    } else {
      if (rules.rules.some((rule) => rule.enabled && rule.trigger.kind === 'event')) {
        io.stderr.write(
          'note: event-triggered rules need events; this command runs the schedule rules and due decisions. Add --bus nats://… to read the event stream, or use the combined service.\n',
        );
      }
      await engine.run({ signal });
    }
    for (const [ruleId, why] of engine.stoppedRules) io.stderr.write(`rule ${ruleId} stopped: ${why}\n`);
    return { stoppedRules: new Map(engine.stoppedRules) };
  } finally {
    // Unsettled events go back to the stream for another replica before the connection closes.
    await consumer?.close();
    await bus?.close();
    await client.close();
    await store.close();
    logger.flush?.();
  }
}

/** Registers `switchboard proactive`. */
export function registerProactiveCommand(program: Command, io?: Partial<CommandIo>): void {
  program
    .command('proactive')
    .description('Contact customers with prior web messaging history, by rules: safely, and exactly once')
    .requiredOption('--rules <file>', 'rules file (YAML); see examples/rules.yaml')
    .option('--dry-run', 'print the plan (who, why, which channel, the text); send and record nothing')
    .option('--once', 'one pass (sweeps, due decisions) and exit, instead of running until stopped')
    .option('--db <path>', 'ledger database: a SQLite file or a postgres:// URL', './switchboard.db')
    .option('--json', 'print decisions as JSON lines')
    .option('--region <region>', 'Genesys Cloud region, or a base URL such as http://127.0.0.1:8787')
    .option('--client-id <id>', 'OAuth client id (client credentials)')
    .option('--client-secret <secret>', 'OAuth client secret')
    .option('--config <file>', 'YAML file with region, clientId and clientSecret')
    .option(
      '--bus <url>',
      'NATS URL (JetStream): take lifecycle events from the event stream, e.g. nats://127.0.0.1:4222',
    )
    .option(
      '--durable <name>',
      `durable consumer shared by proactive replicas (default ${DEFAULT_PROACTIVE_DURABLE}; with --dry-run, ${DEFAULT_PROACTIVE_DURABLE}-dry-run)`,
    )
    .option('--stream <name>', `JetStream stream of the events (default ${DEFAULT_EVENT_STREAM})`)
    .action(async (cli: ProactiveCliOptions) => {
      const result = await runProactiveCommand(cli, {
        stdout: io?.stdout ?? process.stdout,
        stderr: io?.stderr ?? process.stderr,
        ...(io?.logger ? { logger: io.logger } : {}),
        ...(io?.env ? { env: io.env } : {}),
        ...(io?.signal ? { signal: io.signal } : {}),
      });
      // A stopped rule needs the operator (a permission to grant); other outcomes are in the ledger.
      if (result.stoppedRules.size > 0) process.exitCode = 1;
    });
}
