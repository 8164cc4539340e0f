/**
 * `switchboard run --config switchboard.yaml`: the stream, the sinks, the proactive rules and the HTTP server
 * (health, metrics, API, dashboard) in one process, until SIGINT/SIGTERM.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { checkServerAccess, loadServiceConfig, type ServiceConfig } from '../../service/config.js';
import { createProactiveRuntime } from '../../service/proactive.js';
import { createReporter } from '../../service/reporter.js';
import { startService } from '../../service/service.js';
import { nextStopSignal, runUntilStopped } from '../../service/signals.js';

/** The command's options as commander hands them over. */
export interface RunCliOptions {
  config: string;
  port?: string;
  host?: string;
  logLevel?: string;
}

/** Applies command-line overrides to a loaded config. */
export function applyRunOverrides(config: ServiceConfig, cli: Omit<RunCliOptions, 'config'>): ServiceConfig {
  const server = { ...config.server };
  if (cli.port !== undefined) {
    const port = Number(cli.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`--port must be a port number from 0 to 65535, got "${cli.port}".`);
    }
    server.port = port;
  }
  if (cli.host !== undefined) server.host = cli.host;
  const refused = checkServerAccess(server);
  if (refused) throw new ConfigError(`Refusing to start: ${refused}.`);
  return { ...config, server, ...(cli.logLevel ? { logLevel: cli.logLevel } : {}) };
}

/** Registers `switchboard run`. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run the service: conversation stream, sinks, proactive rules, metrics and the dashboard')
    .option('-c, --config <file>', 'config file (YAML); see examples/switchboard.yaml', 'switchboard.yaml')
    .option('--port <port>', 'dashboard/API port (overrides server.port)')
    .option(
      '--host <host>',
      'interface to bind (overrides server.host; anything but loopback needs server.token)',
    )
    .option('--log-level <level>', 'JSON log level on stderr: error, warn, info, debug (default warn)')
    .action(async (cli: RunCliOptions) => {
      const config = applyRunOverrides(loadServiceConfig(cli.config), cli);
      // Operator-facing lines carry the story; JSON logs stay for warnings unless asked for.
      const logger = createLogger({ level: config.logLevel ?? process.env.SWITCHBOARD_LOG_LEVEL ?? 'warn' });
      const report = createReporter();
      const signalled = nextStopSignal();
      const service = await startService({
        config,
        logger,
        reporter: report,
        proactive: createProactiveRuntime,
      });
      await runUntilStopped(signalled, (signal) => service.stop(signal), {
        timeoutMs: config.shutdownTimeoutMs,
        report,
        beforeExit: () => logger.flush(),
      });
    });
}
