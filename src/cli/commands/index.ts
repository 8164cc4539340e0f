import type { Command } from 'commander';
import { registerDemoCommand } from './demo.js';
import { registerEmulatorCommand } from './emulator.js';
import { registerLedgerCommand } from './ledger.js';
import { registerListenCommand } from './listen.js';
import { registerProactiveCommand } from './proactive.js';
import { registerReplayCommand } from './replay.js';
import { registerReplicasCommand } from './replicas.js';
import { registerRunCommand } from './run.js';

/** Registers every subcommand on the program, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerRunCommand(program);
  registerListenCommand(program);
  registerReplayCommand(program);
  registerProactiveCommand(program);
  registerLedgerCommand(program);
  registerReplicasCommand(program);
  registerEmulatorCommand(program);
}
