/**
 * Options every command that talks to Genesys Cloud shares: where (region), as whom (client credentials), and the
 * unverified platform figures that are settings rather than constants.
 */
import type { Command } from 'commander';
import { createLogger, type Logger } from '../logging.js';
import { createPlatformClient, loadPlatformSettings, type PlatformClient } from '../platform/index.js';

export interface ConnectionCliOptions {
  region?: string;
  clientId?: string;
  clientSecret?: string;
  config?: string;
  rateLimit?: string;
  logLevel?: string;
}

/** Adds --region, --client-id, --client-secret, --config, --rate-limit and --log-level. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      '--region <region>',
      'region (mypurecloud.ie, eu_west_1, api.mypurecloud.ie) or base URL; default $GENESYS_CLOUD_REGION',
    )
    .option('--client-id <id>', 'OAuth client id; default $GENESYS_CLOUD_CLIENT_ID')
    .option('--client-secret <secret>', 'OAuth client secret; prefer $GENESYS_CLOUD_CLIENT_SECRET')
    .option('--config <file>', 'YAML file with region, clientId, clientSecret')
    .option('--rate-limit <perMinute>', 'requests per minute for this OAuth client (default 300)')
    .option('--log-level <level>', 'trace, debug, info, warn, error (logs go to stderr)', 'info');
}

/** Builds the logger and the platform client from the shared options; throws ConfigError and friends. */
export function connect(options: ConnectionCliOptions): { logger: Logger; platform: PlatformClient } {
  const logger = createLogger({ level: options.logLevel ?? 'info' });
  const settings = loadPlatformSettings({
    ...(options.region ? { region: options.region } : {}),
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    ...(options.config ? { configFile: options.config } : {}),
  });
  const perMinute = options.rateLimit === undefined ? undefined : Number(options.rateLimit);
  const platform = createPlatformClient({
    region: settings.region,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    logger,
    ...(perMinute && perMinute > 0 ? { rateLimit: { requestsPerWindow: perMinute } } : {}),
  });
  return { logger, platform };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
