/**
 * The `switchboard` command. Each subcommand lives in `commands/` and is a few lines of wiring over the library;
 * this file only assembles them and turns errors into messages an operator can act on.
 */
import { Command } from 'commander';
import { isSwitchboardError } from '../errors.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from './version.js';

/** Builds the program; exported so tests can run commands in-process. */
export function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('Durable conversation events, proactive engagement and a local emulator for Genesys Cloud')
    .version(packageVersion())
    .showHelpAfterError();
  registerCommands(program);
  registerDoctorCommand(program);
  return program;
}

/** Prints an error the way operators read it: what happened, then what to do. Never a stack for known errors. */
export function reportError(error: unknown): number {
  if (isSwitchboardError(error)) {
    process.stderr.write(`switchboard: ${error.describe()}\n`);
    return error.code === 'config_invalid' ||
      error.code === 'region_unknown' ||
      error.code === 'credentials_missing'
      ? 2
      : 1;
  }
  process.stderr.write(
    `switchboard: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

/** Runs the program with the process arguments and sets the exit code. */
export async function run(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
