/**
 * `switchboard proactive --rules rules.yaml [--dry-run] [--once] [--db path]`: runs the proactive engagement
 * engine. `--once` does one pass (in-doubt sends settled, due decisions, one sweep of every schedule rule) and
 * exits; without it the engine keeps running sweeps and due decisions until SIGINT/SIGTERM. Event-triggered
 * rules need the live event stream (`engine.run({ events })` in the library).
 */
import type { Command } from 'commander';
import { loadPlatformSettings } from '../../config/platform-settings.js';
import { createLogger, type Logger } from '../../logging.js';
import { createPlatformClient } from '../../platform/index.js';
import {
  type Decision,
  formatDecision,
  loadRulesFile,
  ProactiveEngine,
  type RunSummary,
} from '../../proactive/index.js';
import { ledgerOf, openSqliteStore } from '../../store/index.js';

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
}

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
  const store = openSqliteStore({ path: cli.db });
  const print = (decision: Decision) =>
    io.stdout.write(cli.json ? `${JSON.stringify(decision)}\n` : formatDecision(decision));
  try {
    const engine = new ProactiveEngine({
      rules,
      client,
      ledger: ledgerOf(store),
      logger,
      dryRun: cli.dryRun ?? false,
      onDecision: print,
    });
    for (const warning of rules.warnings) io.stderr.write(`warning: ${warning}\n`);
    if (cli.once) {
      const summary = await engine.runOnce();
      if (!cli.json) io.stdout.write(countsLine(summary, cli.dryRun ?? false));
      for (const [ruleId, why] of engine.stoppedRules) io.stderr.write(`rule ${ruleId} stopped: ${why}\n`);
      return { summary, stoppedRules: new Map(engine.stoppedRules) };
    }
    if (rules.rules.some((rule) => rule.enabled && rule.trigger.kind === 'event')) {
      io.stderr.write(
        'note: event-triggered rules need the live event stream; this command runs the schedule rules and due decisions. Use the library (engine.run({ events })) or the combined service to feed events.\n',
      );
    }
    await engine.run({ signal: io.signal ?? stopSignal() });
    for (const [ruleId, why] of engine.stoppedRules) io.stderr.write(`rule ${ruleId} stopped: ${why}\n`);
    return { stoppedRules: new Map(engine.stoppedRules) };
  } finally {
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
    .option('--db <path>', 'ledger database (SQLite)', './switchboard.db')
    .option('--json', 'print decisions as JSON lines')
    .option('--region <region>', 'Genesys Cloud region, or a base URL such as http://127.0.0.1:8787')
    .option('--client-id <id>', 'OAuth client id (client credentials)')
    .option('--client-secret <secret>', 'OAuth client secret')
    .option('--config <file>', 'YAML file with region, clientId and clientSecret')
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
