import type { Command } from 'commander';

/** Registers every subcommand on the program. */
export function registerCommands(_program: Command): void {
  // Subcommands are added here as they land.
}
