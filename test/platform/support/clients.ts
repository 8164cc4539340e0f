/** Platform clients aimed at the emulator (or a FakeGenesys), with short delays so retries stay fast in tests. */
import type { Logger } from 'pino';
import { type ClientDefinition, DEFAULT_CLIENT, type Emulator } from '../../../src/emulator/index.js';
import {
  createPlatformClient,
  type PlatformClient,
  type PlatformClientOptions,
} from '../../../src/platform/platform-client.js';

/** Where a client goes and the credentials it presents: a FakeGenesys, or {@link emulatorTarget}. */
export interface PlatformTarget {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** The emulator as a target, with one of its clients (the demo client unless named). */
export function emulatorTarget(
  emulator: Emulator,
  client: Pick<ClientDefinition, 'clientId' | 'clientSecret'> = DEFAULT_CLIENT,
): PlatformTarget {
  return { baseUrl: emulator.url, clientId: client.clientId, clientSecret: client.clientSecret };
}

export function clientFor(
  server: PlatformTarget,
  overrides: Partial<PlatformClientOptions> & { logger?: Logger } = {},
): PlatformClient {
  return createPlatformClient({
    region: server.baseUrl,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    timeoutMs: 2_000,
    ...overrides,
    retry: { initialDelayMs: 10, maxDelayMs: 50, ...overrides.retry },
  });
}
