/**
 * Crash-only processes: an error nothing caught (an unhandled rejection, an uncaught exception) leaves a process in a
 * state no one reasoned about. The command-line processes (`run`, `listen`, `proactive`, ...) log it and exit
 * non-zero at once, so the supervisor (systemd, Kubernetes, Docker) restarts them; the checkpoint and the ledger make
 * that safe — a restart resumes and backfills the downtime. The library itself installs nothing.
 */

/** Exit code of such a crash (EX_SOFTWARE). */
export const CRASH_EXIT_CODE = 70;

/** Installs the handlers on the current process. */
export function installCrashHandlers(
  write: (text: string) => void = (text) => process.stderr.write(text),
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const crash = (what: string, error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    write(
      `switchboard: ${what}: ${detail}\nswitchboard: exiting (code ${CRASH_EXIT_CODE}) so the supervisor restarts the process; the checkpoint makes the restart safe\n`,
    );
    exit(CRASH_EXIT_CODE);
  };
  process.on('unhandledRejection', (reason) => crash('unhandled promise rejection', reason));
  process.on('uncaughtException', (error) => crash('uncaught exception', error));
}
