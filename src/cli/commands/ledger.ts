/**
 * `switchboard ledger [--json] [--db path]`: the proactive engine's decisions, newest first — what was sent (with
 * the platform's conversation and message ids), deferred (and until when), skipped or failed (and why). Addresses
 * are redacted to their last digits.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { describeEntry, formatEntry } from '../../proactive/index.js';
import {
  isPostgresSpec,
  LEDGER_STATUSES,
  type LedgerStatus,
  ledgerOf,
  openStore,
} from '../../store/index.js';
import { collect } from '../connection-options.js';

export interface LedgerCliOptions {
  db: string;
  json?: boolean;
  status?: string[];
  rule?: string;
  customer?: string;
  limit?: string;
}

/** Prints the ledger; returns the number of entries shown. */
export async function runLedgerCommand(
  cli: LedgerCliOptions,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  if (cli.db !== ':memory:' && !isPostgresSpec(cli.db) && !existsSync(cli.db)) {
    throw new ConfigError(`No ledger at ${cli.db}`, {
      hint: 'Point --db at the file `switchboard proactive` wrote (default ./switchboard.db).',
    });
  }
  const statuses = cli.status ?? [];
  for (const status of statuses) {
    if (!LEDGER_STATUSES.includes(status as LedgerStatus)) {
      throw new ConfigError(`--status must be one of ${LEDGER_STATUSES.join(', ')}, got "${status}".`);
    }
  }
  const limit = cli.limit === undefined ? 100 : Number(cli.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new ConfigError(`--limit must be a positive integer, got "${cli.limit}".`);
  const store = await openStore(cli.db);
  try {
    const ledger = ledgerOf(store);
    const entries = await ledger.list({
      limit,
      ...(statuses.length > 0 ? { status: statuses as LedgerStatus[] } : {}),
      ...(cli.rule ? { ruleId: cli.rule } : {}),
      ...(cli.customer ? { customerId: cli.customer } : {}),
    });
    if (cli.json) {
      const rows = [];
      for (const entry of entries)
        rows.push({ ...describeEntry(entry), history: await ledger.events(entry.id) });
      stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (entries.length === 0) {
      stdout.write('The ledger has no matching decisions.\n');
    } else {
      for (const entry of entries) stdout.write(`${formatEntry(entry)}\n`);
    }
    return entries.length;
  } finally {
    await store.close();
  }
}

/** Registers `switchboard ledger`. */
export function registerLedgerCommand(program: Command, io?: { stdout?: NodeJS.WritableStream }): void {
  program
    .command('ledger')
    .description('List the proactive engine’s decisions: sent, deferred, skipped, failed, and why')
    .option('--db <path>', 'ledger database: a SQLite file or a postgres:// URL', './switchboard.db')
    .option('--json', 'print JSON (with each entry’s status history)')
    .option('--status <status>', `only this status (repeatable): ${LEDGER_STATUSES.join(', ')}`, collect, [])
    .option('--rule <id>', 'only this rule')
    .option('--customer <id>', 'only this customer (external contact id)')
    .option('--limit <n>', 'at most this many entries, newest first', '100')
    .action(async (cli: LedgerCliOptions) => {
      await runLedgerCommand(cli, io?.stdout ?? process.stdout);
    });
}
