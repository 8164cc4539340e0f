/**
 * Running until SIGINT or SIGTERM, then stopping within a bound: the first signal starts an orderly stop, a
 * second one (or the bound passing) exits at once, saying what was left unfinished.
 */
import type { Reporter } from './reporter.js';

/** Resolves with the first SIGINT or SIGTERM. */
export function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Waits for `signalled` (from {@link nextStopSignal}, taken before start-up so an early signal is not lost), runs
 * `stop`, and exits the process: 0 when `stop` reports a clean stop, 1 otherwise. A second signal, or `timeoutMs`
 * (plus a second of grace) passing, exits at once.
 */
export async function runUntilStopped(
  signalled: Promise<NodeJS.Signals>,
  stop: (signal: NodeJS.Signals) => Promise<{ clean: boolean }>,
  options: { timeoutMs: number; report: Reporter; beforeExit?: () => void },
): Promise<never> {
  const signal = await signalled;
  options.report.line(
    `${signal} received: stopping (at most ${Math.round(options.timeoutMs / 1000)} s; press Ctrl+C again to exit now)`,
  );
  const exit = (code: number): never => {
    options.beforeExit?.();
    process.exit(code);
  };
  const again = () => {
    options.report.line('second signal: exiting without finishing the shutdown');
    exit(130);
  };
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  const bound = setTimeout(() => {
    options.report.line(
      `shutdown did not finish within ${Math.round(options.timeoutMs / 1000)} s: exiting anyway`,
    );
    exit(1);
  }, options.timeoutMs + 1000);
  bound.unref();
  let clean = false;
  try {
    clean = (await stop(signal)).clean;
  } catch (error) {
    options.report.line(`shutdown failed: ${(error as Error).message}`);
  }
  return exit(clean ? 0 : 1);
}
