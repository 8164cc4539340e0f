import type { Command } from 'commander';
import { registerEmulatorCommand } from './emulator.js';
import { registerListenCommand } from './listen.js';
import { registerReplayCommand } from './replay.js';

/** Registers every subcommand on the program. */
export function registerCommands(program: Command): void {
  registerListenCommand(program);
  registerReplayCommand(program);
  registerEmulatorCommand(program);
}
