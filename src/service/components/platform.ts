/** The platform client of the stream: built from the config's OAuth client, closed once nothing calls it any more. */
import type { Logger } from '../../logging.js';
import { createPlatformClient, type PlatformClient, type RetryOptions } from '../../platform/index.js';
import type { ServiceComponent } from '../component.js';
import type { ServiceConfig } from '../config.js';
import type { StopContext } from '../shutdown.js';

/** An OAuth client's settings. */
export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string;
  /** Its own rate limit, when not the platform's default. */
  requestsPerMinute?: number;
}

/** A platform client for one OAuth client (each has its own rate budget). */
export function platformClientFor(
  config: ServiceConfig,
  client: OAuthClientSettings,
  options: { logger: Logger; retry?: Partial<RetryOptions> | undefined },
): PlatformClient {
  return createPlatformClient({
    region: config.genesys.region,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    logger: options.logger,
    ...(client.requestsPerMinute
      ? { rateLimit: { requestsPerWindow: client.requestsPerMinute, windowMs: 60_000 } }
      : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/** The stream's platform client, as a component: built when first asked for, closed late. */
export class PlatformComponent implements ServiceComponent {
  readonly name = 'platform client';
  private built: PlatformClient | undefined;

  constructor(
    private readonly config: ServiceConfig,
    private readonly options: { logger: Logger; retry?: Partial<RetryOptions> | undefined },
  ) {}

  get client(): PlatformClient {
    this.built ??= platformClientFor(this.config, this.config.genesys, this.options);
    return this.built;
  }

  async start(): Promise<void> {}

  async stop(context: StopContext): Promise<void> {
    const client = this.built;
    if (client) await context.step('platform client', () => client.close());
  }
}
