/** Platform clients aimed at a FakeGenesys, with short delays so retries stay fast in tests. */
import type { Logger } from 'pino';
import {
  createPlatformClient,
  type PlatformClient,
  type PlatformClientOptions,
} from '../../../src/platform/platform-client.js';
import type { FakeGenesys } from './fake-genesys.js';

export function clientFor(
  server: FakeGenesys,
  overrides: Partial<PlatformClientOptions> & { logger?: Logger } = {},
): PlatformClient {
  return createPlatformClient({
    region: server.baseUrl,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    timeoutMs: 2_000,
    ...overrides,
    retry: { baseDelayMs: 10, maxDelayMs: 50, ...overrides.retry },
  });
}
