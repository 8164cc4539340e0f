/**
 * The demo: a local emulator with a seeded org and lively traffic, and the service against it with the example
 * proactive rules, so the dashboard moves within the first minute and a fault injected from the dashboard (or
 * with curl) is survived in plain sight. Nothing leaves the machine.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../emulator/index.js';
import { type Logger, silentLogger } from '../logging.js';
import { resolveRegion } from '../platform/region.js';
import { packageRoot } from '../server/static-files.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, type ServiceConfig } from './config.js';
import type { ProactiveRuntimeFactory } from './proactive-runtime.js';
import { createReporter, type Reporter } from './reporter.js';
import { type Service, startService } from './service.js';
import type { ShutdownReport } from './shutdown.js';

export interface DemoOptions {
  /** Dashboard port (default 8080; 0 picks a free one). */
  port?: number;
  host?: string;
  /** Emulator port (default 0: a free one). */
  emulatorPort?: number;
  seed?: number;
  /** Emulated minutes per real minute (default 10). */
  timeScale?: number;
  /** New conversations per emulated minute (default 3: about 30 per real minute at the default time scale). */
  conversationsPerMinute?: number;
  /** Heartbeat interval of the emulator and the watchdog (default 5 s, so a silent socket is noticed quickly). */
  heartbeatIntervalMs?: number;
  /** Days of seeded history (default 30: returning customers for the proactive rules). */
  historyDays?: number;
  /** The proactive engine; without it the demo runs the stream and the dashboard only. */
  proactive?: ProactiveRuntimeFactory;
  /** Rules file (default: the package's examples/rules.yaml). */
  rulesFile?: string;
  logger?: Logger;
  reporter?: Reporter;
  /** Dashboard push interval (tests shorten it). */
  overviewEveryMs?: number;
  /**
   * Also run the emulator's EventBridge integration and read its SQS queue beside the WebSocket (the config's
   * `source: [websocket, {eventbridge: …}]`); AWS credentials come from the SDK's chain (any will do).
   */
  eventBridge?: boolean;
}

/** A running demo. */
export interface Demo {
  emulator: Emulator;
  service: Service;
  /** The dashboard's URL. */
  url: string;
  /** Stops the service, then the emulator; resolves with the service's shutdown report. */
  stop(): Promise<ShutdownReport>;
}

/**
 * The example rules with quiet hours off, so a message can go out whatever the time of day; the file as shipped
 * is left alone.
 */
function demoRules(source: string, dir: string): string {
  const document = parseDocument(readFileSync(source, 'utf8'));
  document.setIn(['defaults', 'quietHours'], false);
  const path = join(dir, 'rules.yaml');
  writeFileSync(path, document.toString());
  return path;
}

/** Fault types the dashboard may inject in the demo. */
export const DEMO_FAULTS = new Set([
  'drop-sockets',
  'stop-heartbeats',
  'socket-closing',
  'expire-channels',
  'blackout',
  'revoke-tokens',
  'fail-requests',
  'rate-limit',
  'traffic',
]);

/** Passes a fault command from the dashboard to the emulator, refusing anything but the known fault types. */
export function faultInjector(emulatorUrl: string): (command: unknown) => Promise<unknown> {
  return async (command) => {
    const type = (command as { type?: unknown } | undefined)?.type;
    if (typeof type !== 'string' || !DEMO_FAULTS.has(type)) {
      throw new Error(`unknown fault type; expected one of ${[...DEMO_FAULTS].join(', ')}`);
    }
    const response = await fetch(`${emulatorUrl}/__emulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(command),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json().catch(() => ({}))) as unknown;
    if (!response.ok)
      throw new Error(`the emulator refused the fault (${response.status}): ${JSON.stringify(body)}`);
    return body;
  };
}

/** Starts the emulator and the service against it. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const logger = options.logger ?? silentLogger();
  const report = options.reporter ?? createReporter();
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5000;
  const emulator = await startEmulator({
    port: options.emulatorPort ?? 0,
    seed: options.seed ?? 20250115,
    timeScale: options.timeScale ?? 10,
    conversationsPerMinute: options.conversationsPerMinute ?? 3,
    historyDays: options.historyDays ?? 30,
    heartbeatIntervalMs,
    logger: logger.child({ component: 'emulator' }),
    ...(options.eventBridge ? { eventBridge: true } : {}),
  });
  report.line(`emulator at ${emulator.url} (seeded org, live traffic at ${options.timeScale ?? 10}× speed)`);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-demo-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  try {
    const rulesSource = options.rulesFile ?? join(packageRoot(), 'examples', 'rules.yaml');
    const withRules = options.proactive !== undefined && existsSync(rulesSource);
    const config: ServiceConfig = {
      file: '(demo)',
      genesys: {
        region: resolveRegion(emulator.url),
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: DEFAULT_CLIENT.clientSecret,
      },
      stream: {
        selection: { queues: 'all', users: 'all' },
        backfill: true,
        timing: {
          heartbeatIntervalMs,
          backoff: { initialDelayMs: 250, maxDelayMs: 5000 },
          connectTimeoutMs: 5000,
        },
        ...(emulator.eventBridge
          ? { eventBridge: { queueUrl: emulator.eventBridge.queueUrl }, bothSources: true }
          : {}),
      },
      store: { path: join(dir, 'switchboard.db') },
      sinks: [],
      ...(withRules
        ? { proactive: { rulesPath: demoRules(rulesSource, dir), dryRun: false, dueCheckMs: 5000 } }
        : {}),
      server: {
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 8080,
        showCustomerData: false,
        recentEvents: 1000,
      },
      shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
    };
    if (emulator.eventBridge) {
      report.line(
        `demo: reading the EventBridge queue ${emulator.eventBridge.queueUrl} beside the WebSocket`,
      );
    }
    if (withRules) report.line(`demo: proactive rules from ${rulesSource}, quiet hours off for the demo`);
    const service = await startService({
      config,
      mode: 'demo',
      injectFault: faultInjector(emulator.url),
      logger,
      reporter: report,
      ...(withRules && options.proactive ? { proactive: options.proactive } : {}),
      ...(options.overviewEveryMs ? { overviewEveryMs: options.overviewEveryMs } : {}),
    });
    let stopped: Promise<ShutdownReport> | undefined;
    return {
      emulator,
      service,
      url: service.url,
      stop() {
        stopped ??= (async () => {
          const report = await service.stop('demo stopped');
          await emulator.stop();
          removeDir();
          return report;
        })();
        return stopped;
      },
    };
  } catch (error) {
    await emulator.stop();
    removeDir();
    throw error;
  }
}
