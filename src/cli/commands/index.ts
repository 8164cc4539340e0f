import type { Command } from 'commander';
import { registerEmulatorCommand } from './emulator.js';

/** Registers every subcommand on the program. */
export function registerCommands(program: Command): void {
  registerEmulatorCommand(program);
}
