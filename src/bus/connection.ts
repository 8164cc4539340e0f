/**
 * The connection to the event bus, NATS JetStream: one NATS connection with its JetStream client and manager.
 *
 * Once connected, the client reconnects forever by default: a NATS restart is an outage to ride out, not a reason
 * to stop. The first connection is different: refused, unauthorised or pointing at a server too old or without
 * JetStream, it fails at once with a ConfigError that says what to fix.
 */
import { type JetStreamClient, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import { parseBusUrl } from './url.js';

export { type BusUrl, DEFAULT_NATS_PORT, describeBusUrl, parseBusUrl } from './url.js';

/** The oldest NATS server the bus works with. */
export const MIN_NATS_VERSION = '2.9.0';

/** An open connection to NATS JetStream. */
export interface Bus {
  readonly connection: NatsConnection;
  readonly jetstream: JetStreamClient;
  readonly manager: JetStreamManager;
  /** The version the server announced when the connection was made, e.g. `2.9.10`. */
  readonly serverVersion: string;
  /** `nats://host:port`, without credentials. */
  readonly description: string;
  /** Drains what is pending (bounded) and closes; safe to call more than once. */
  close(): Promise<void>;
}

/** Options of {@link connectBus}. */
export interface ConnectBusOptions {
  /** `nats://host:port`, `nats://user:pass@host:port`, `nats://token@host:port` or `tls://…`. */
  url: string;
  /** The connection name the server shows (monitoring, `nats server report connections`). */
  name?: string;
  logger?: Logger;
  /** Reconnect after a connection loss, forever (default true). */
  reconnect?: boolean;
  /** Timeout of the first connection and of JetStream requests, in ms (default 5000). */
  timeoutMs?: number;
}

const START_HINT =
  'Start NATS with JetStream (nats-server -js) or correct the URL, e.g. --bus nats://127.0.0.1:4222.';
const NEEDS = `Switchboard needs NATS ${MIN_NATS_VERSION} or later with JetStream enabled`;
const CLOSE_DRAIN_MS = 2_000;

/** Connects to NATS, checks the server (version, JetStream) and returns the {@link Bus}. */
export async function connectBus(options: ConnectBusOptions): Promise<Bus> {
  const target = parseBusUrl(options.url);
  const logger = options.logger ?? silentLogger();
  const timeout = options.timeoutMs ?? 5_000;
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: target.server,
      name: options.name ?? 'switchboard',
      ...(target.user !== undefined ? { user: target.user, pass: target.pass } : {}),
      ...(target.token !== undefined ? { token: target.token } : {}),
      ...(target.tls ? { tls: {} } : {}),
      reconnect: options.reconnect ?? true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      waitOnFirstConnect: false,
      timeout,
    });
  } catch (error) {
    throw connectionError(target.description, error);
  }

  const serverVersion = connection.info?.version ?? 'unknown';
  let manager: JetStreamManager;
  try {
    if (!versionAtLeast(serverVersion, MIN_NATS_VERSION)) {
      throw new ConfigError(
        `The NATS server at ${target.description} runs version ${serverVersion}; ${NEEDS}.`,
        { hint: 'Upgrade nats-server (2.9 or later) and start it with -js.' },
      );
    }
    if (connection.info?.jetstream !== true) {
      throw new ConfigError(
        `The NATS server at ${target.description} (version ${serverVersion}) has JetStream disabled; ${NEEDS}.`,
        { hint: 'Start nats-server with -js (or a jetstream {} block in its configuration).' },
      );
    }
    try {
      manager = await jetstreamManager(connection, { timeout });
    } catch (error) {
      throw new ConfigError(
        `JetStream is not available to this connection at ${target.description} (version ${serverVersion}): ${reason(error)}; ${NEEDS}.`,
        {
          hint: /not enabled/i.test(reason(error))
            ? 'Enable JetStream for the account these credentials belong to.'
            : START_HINT,
          cause: error,
        },
      );
    }
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }

  logger.info({ server: target.description, version: serverVersion }, 'connected to NATS JetStream');
  void watchStatus(connection, logger, target.description);
  let closing: Promise<void> | undefined;
  return {
    connection,
    jetstream: manager.jetstream(),
    manager,
    serverVersion,
    description: target.description,
    close() {
      closing ??= closeConnection(connection);
      return closing;
    },
  };
}

/** True when `version` (e.g. `2.9.10`, `2.10.0-beta.1`) is at least `minimum`. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim()) ?? []).slice(1).map(Number);
  const have = parts(version);
  const need = parts(minimum);
  if (have.length < 3) return false;
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}

function connectionError(description: string, error: unknown): ConfigError {
  if (error instanceof AuthorizationError || /authorization/i.test(reason(error))) {
    return new ConfigError(`The NATS server at ${description} refused the credentials.`, {
      hint: 'Check the user and password (or token) in the NATS URL.',
      cause: error,
    });
  }
  return new ConfigError(`Could not connect to NATS at ${description}: ${reason(error)}.`, {
    hint: START_HINT,
    cause: error,
  });
}

/** The error's own words; nats.js messages never carry the credentials of the URL. */
function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  if (typeof cause?.code === 'string' && cause.code !== '') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

/** Logs connection losses and recoveries until the connection closes. */
async function watchStatus(connection: NatsConnection, logger: Logger, server: string): Promise<void> {
  try {
    for await (const status of connection.status()) {
      switch (status.type) {
        case 'disconnect':
          logger.warn({ server }, 'lost the NATS connection; reconnecting');
          break;
        case 'reconnect':
          logger.info({ server }, 'reconnected to NATS');
          break;
        case 'ldm':
          logger.info({ server }, 'the NATS server is entering lame duck mode');
          break;
        case 'error':
          logger.warn({ server, err: status.error.message }, 'NATS connection error');
          break;
        case 'slowConsumer':
          logger.warn({ server, pending: status.pending }, 'NATS subscription falling behind');
          break;
        default:
          break;
      }
    }
  } catch {
    // The status iterator ends with the connection; nothing left to watch.
  }
}

async function closeConnection(connection: NatsConnection): Promise<void> {
  if (connection.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    // Drain lets in-flight publishes and acks reach the server; bounded, since a lost server never answers.
    await Promise.race([
      connection.drain(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_DRAIN_MS);
      }),
    ]);
  } catch {
    // Already closing or closed: close() below settles it.
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (!connection.isClosed()) await connection.close();
}
