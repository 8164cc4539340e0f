/**
 * `switchboard demo`: a local emulator with live traffic and the service against it, with the example proactive
 * rules; prints the dashboard's URL and runs until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { startDemo } from '../../service/demo.js';
import { createProactiveRuntime } from '../../service/proactive.js';
import { createReporter } from '../../service/reporter.js';
import { nextStopSignal, runUntilStopped } from '../../service/signals.js';

/** The command's options as commander hands them over. */
export interface DemoCliOptions {
  port: string;
  emulatorPort: string;
  seed?: string;
  timeScale?: string;
  traffic?: string;
  proactive?: boolean;
  eventbridge?: boolean;
}

function number(flag: string, value: string | undefined, { integer = true, min = 0, max = Infinity } = {}) {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    throw new ConfigError(
      `--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min}, got "${value}".`,
    );
  }
  return parsed;
}

/** Registers `switchboard demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the emulator with live traffic and the service against it; open the dashboard it prints',
    )
    .option('--port <port>', 'dashboard port (0 picks a free one)', '8080')
    .option('--emulator-port <port>', 'emulator port (0 picks a free one)', '0')
    .option('--seed <n>', 'seed of the emulated org and traffic')
    .option('--time-scale <x>', 'emulated minutes per real minute (default 10)')
    .option('--traffic <per-minute>', 'new conversations per emulated minute (default 3)')
    .option('--no-proactive', 'run without the proactive rules')
    .option(
      '--eventbridge',
      "also run the emulator's EventBridge queue and read it beside the WebSocket (any AWS credentials in the environment)",
    )
    .action(async (cli: DemoCliOptions) => {
      const port = number('port', cli.port, { max: 65535 });
      const emulatorPort = number('emulator-port', cli.emulatorPort, { max: 65535 });
      const seed = number('seed', cli.seed);
      const timeScale = number('time-scale', cli.timeScale, { integer: false, min: 0.1 });
      const traffic = number('traffic', cli.traffic, { integer: false });
      const logger = createLogger({ level: process.env.SWITCHBOARD_LOG_LEVEL ?? 'warn' });
      const report = createReporter();
      const signalled = nextStopSignal();
      const demo = await startDemo({
        ...(port !== undefined ? { port } : {}),
        ...(emulatorPort !== undefined ? { emulatorPort } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(timeScale !== undefined ? { timeScale } : {}),
        ...(traffic !== undefined ? { conversationsPerMinute: traffic } : {}),
        ...(cli.proactive === false ? {} : { proactive: createProactiveRuntime }),
        ...(cli.eventbridge ? { eventBridge: true } : {}),
        logger,
        reporter: report,
      });
      process.stdout.write(
        [
          '',
          `  Dashboard   ${demo.url}/`,
          `  Emulator    ${demo.emulator.url}`,
          ...(demo.emulator.eventBridge ? [`  SQS queue   ${demo.emulator.eventBridge.queueUrl}`] : []),
          `  Try a fault from the dashboard, or: curl -X POST ${demo.emulator.url}/__emulator/faults -H 'Content-Type: application/json' -d '{"type":"drop-sockets"}'`,
          '  Press Ctrl+C to stop.',
          '',
          '',
        ].join('\n'),
      );
      await runUntilStopped(signalled, () => demo.stop(), {
        timeoutMs: 15_000,
        report,
        beforeExit: () => logger.flush(),
      });
    });
}
