/**
 * `switchboard emulator`: runs the local Genesys Cloud emulator until SIGINT/SIGTERM and prints where it listens
 * and which client credentials it accepts.
 */
import type { Command } from 'commander';
import { parseClientSpec } from '../../emulator/auth/clients.js';
import {
  type Emulator,
  PROFILES,
  type ProfileName,
  type StartEmulatorOptions,
  startEmulator,
} from '../../emulator/index.js';
import { ConfigError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { nextStopSignal } from '../../service/signals.js';
import { collect } from '../connection-options.js';

/** The command's options as commander hands them over (numbers still strings). */
export interface EmulatorCliOptions {
  port?: string;
  host?: string;
  publicHost?: string;
  seed?: string;
  heartbeatInterval?: string;
  channelLifetime?: string;
  tokenLifetime?: string;
  rateLimit?: string;
  traffic?: string;
  agents?: string;
  queues?: string;
  historyDays?: string;
  timeScale?: string;
  client?: string[];
  world?: boolean;
  profile?: string;
  analyticsLag?: string;
  eventbridge?: boolean;
  sqsPort?: string;
}

function number(
  flag: string,
  value: string | undefined,
  { integer = true, min = 0 } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) {
    throw new ConfigError(
      `--${flag} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, got "${value}".`,
    );
  }
  return parsed;
}

/** Turns command-line options into {@link startEmulator} options. */
export function emulatorOptionsFromCli(cli: EmulatorCliOptions): StartEmulatorOptions {
  const candidates: StartEmulatorOptions = {
    port: number('port', cli.port) ?? 8787,
    host: cli.host ?? '127.0.0.1',
    publicHost: cli.publicHost,
    seed: number('seed', cli.seed),
    heartbeatIntervalMs: number('heartbeat-interval', cli.heartbeatInterval, { min: 1 }),
    channelLifetimeMs: number('channel-lifetime', cli.channelLifetime, { min: 1 }),
    tokenLifetimeSeconds: number('token-lifetime', cli.tokenLifetime, { min: 1 }),
    rateLimitPerMinute: number('rate-limit', cli.rateLimit, { min: 1 }),
    conversationsPerMinute: number('traffic', cli.traffic, { integer: false }),
    agents: number('agents', cli.agents, { min: 1 }),
    queues: number('queues', cli.queues, { min: 1 }),
    historyDays: number('history-days', cli.historyDays),
    timeScale: number('time-scale', cli.timeScale, { integer: false, min: Number.MIN_VALUE }),
    clients: (cli.client ?? []).map(parseClientSpec),
    analyticsLagMs: number('analytics-lag', cli.analyticsLag),
  };
  if (cli.profile !== undefined) {
    if (!(cli.profile in PROFILES))
      throw new ConfigError(
        `--profile must be one of ${Object.keys(PROFILES).join(', ')}, got "${cli.profile}".`,
      );
    candidates.profile = cli.profile as ProfileName;
  }
  if (cli.world === false) candidates.world = false;
  if (cli.eventbridge === true) {
    const sqsPort = number('sqs-port', cli.sqsPort);
    candidates.eventBridge = sqsPort === undefined ? true : { sqsPort };
  }
  // Unset options must not reach the world as `undefined` overrides.
  return Object.fromEntries(
    Object.entries(candidates).filter(([, value]) => value !== undefined),
  ) as StartEmulatorOptions;
}

/** What the operator needs to point a client at the emulator. */
export function describeEmulator(emulator: Emulator): string {
  const { url } = emulator;
  const lines = [
    `Genesys Cloud emulator listening on ${url}`,
    `  OAuth      POST ${url}/oauth/token (client credentials)`,
    `  REST       ${url}/api/v2/...`,
    `  Streaming  ${url.replace(/^http/, 'ws')}/channels/<channel id>`,
    `  Admin      POST ${url}/__emulator/faults · GET ${url}/__emulator/status`,
    `  World      ${emulator.world ? 'running' : 'none (notifications and faults only)'}`,
    ...(emulator.eventBridge
      ? [
          `  EventBridge  SQS queue ${emulator.eventBridge.queueUrl} (switchboard listen --source eventbridge --queue-url …)`,
          `               faults: POST ${url}/__emulator/eventbridge/faults · status: GET ${url}/__emulator/eventbridge`,
        ]
      : []),
    '  Clients (id / secret / permissions):',
    ...emulator.clients.map(
      (client) =>
        `    ${client.clientId} / ${client.clientSecret} / ${client.permissions.includes('*') ? 'all' : client.permissions.join(',')}`,
    ),
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Registers `switchboard emulator`. */
export function registerEmulatorCommand(program: Command): void {
  program
    .command('emulator')
    .description(
      'Run a local Genesys Cloud emulator: OAuth, REST, the notification WebSocket and fault injection',
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8787')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--public-host <host:port>', 'host put into connectUri (default: the host clients connect to)')
    .option('--seed <n>', 'seed of the emulated world')
    .option('--heartbeat-interval <ms>', 'WebSocket heartbeat interval (default 30000)')
    .option('--channel-lifetime <ms>', 'notification channel lifetime (default 24 h)')
    .option('--token-lifetime <s>', 'access token lifetime (default 86400)')
    .option('--rate-limit <n>', 'requests per minute per token (default 300)')
    .option('--traffic <per-minute>', 'new conversations per minute')
    .option('--agents <n>', 'agents in the emulated org')
    .option('--queues <n>', 'queues in the emulated org')
    .option('--history-days <n>', 'days of seeded conversation history')
    .option('--time-scale <x>', 'emulated time runs this many times faster')
    .option(
      '--profile <name>',
      'a named world: large (3,000 agents, ~1,000 new conversations a minute, ~5,000 live)',
    )
    .option(
      '--analytics-lag <ms>',
      'how long a change takes to show in analytics (default 3000, plus up to 2000 jitter)',
    )
    .option('--client <id:secret[:perm,perm]>', 'accept another OAuth client (repeatable)', collect, [])
    .option('--no-world', 'run without the emulated world (notifications and faults only)')
    .option('--eventbridge', 'also run an EventBridge integration delivering detail events into an SQS queue')
    .option('--sqs-port <port>', 'port of the SQS endpoint (default: a free one)')
    .action(async (cli: EmulatorCliOptions) => {
      const logger = createLogger({ name: 'emulator' });
      const emulator = await startEmulator({ ...emulatorOptionsFromCli(cli), logger });
      process.stdout.write(describeEmulator(emulator));
      const signal = await nextStopSignal();
      logger.info({ signal }, 'stopping the emulator');
      await emulator.stop();
      logger.flush();
    });
}
