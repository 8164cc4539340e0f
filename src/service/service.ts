/**
 * The Switchboard service: the conversation stream, the sinks, the proactive engine (when configured) and the
 * HTTP server in one process. This is its composition root: every component is built here from the validated
 * config, then started in order and stopped in reverse (see `component.ts`):
 *
 * ```
 * http server → platform client → store → [bus] → sinks → [proactive engine] → stream → queue names
 * ```
 *
 * The HTTP server comes first so `/readyz` answers while the rest comes up, and goes last so it says "shutting down"
 * until the end; the sinks and the engine are up before the stream that feeds them and drain after it stops.
 * Whether this process is one of a set of replicas is chosen once (`topology.ts`). `startService` refuses to start
 * half-way (bad credentials, an unreadable rules file, a port in use): what had started is stopped again. The
 * operator's lines and the dashboard follow the service's typed status events (`status.ts`).
 */
import { ConfigError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import type { PlatformClient, RetryOptions } from '../platform/index.js';
import type { ServiceApiBackend } from '../server/api-backend.js';
import { DEFAULT_READINESS_BOUNDS } from '../server/readiness.js';
import type { ServedStream } from '../server/served-stream.js';
import type { StaticFile } from '../server/static-files.js';
import type { SwitchboardStore } from '../store/index.js';
import type { NotificationSource } from '../stream/source.js';
import { ComponentRunner, type ServiceComponent } from './component.js';
import { DashboardComponent, QueueNamesComponent } from './components/dashboard.js';
import { EngineComponent } from './components/engine.js';
import { PlatformComponent } from './components/platform.js';
import { SinksComponent } from './components/sinks.js';
import { StoreComponent } from './components/store.js';
import type { StreamComponent } from './components/stream.js';
import { checkServerAccess, type ServiceConfig } from './config.js';
import type { EngineBackoff } from './engine-supervisor.js';
import { sourcesFromConfig } from './eventbridge-source.js';
import type { ProactiveRuntimeFactory } from './proactive-runtime.js';
import { reportProgress } from './progress.js';
import { createReporter, type Reporter } from './reporter.js';
import type { ShutdownReport } from './shutdown.js';
import { ServiceStatusStream } from './status.js';
import { chooseTopology, type Topology } from './topology.js';

export interface StartServiceOptions {
  config: ServiceConfig;
  logger?: Logger;
  reporter?: Reporter;
  mode?: 'run' | 'demo';
  /** Builds the proactive engine when the config has `proactive`. */
  proactive?: ProactiveRuntimeFactory;
  /** Lets the dashboard inject faults (the demo passes the emulator's; nothing else should). */
  injectFault?: (command: unknown) => Promise<unknown>;
  /**
   * Where notifications come from instead of the live channel pool (one process only): a replay, another
   * transport. Such a stream has no channels; it is ready once its source has started.
   */
  source?: NotificationSource;
  /** The dashboard files (default: `web/` of the package). */
  files?: Map<string, StaticFile>;
  /** Retry settings of the platform client (tests shorten them). */
  retry?: Partial<RetryOptions>;
  /** Dashboard push intervals (tests shorten them). */
  overviewEveryMs?: number;
  /** Pauses before the proactive engine is started again after it died (tests shorten them). */
  engineBackoff?: Partial<EngineBackoff>;
}

/** A running service. */
export interface Service {
  readonly config: ServiceConfig;
  /** The dashboard's base URL. */
  readonly url: string;
  readonly port: number;
  /** The stream: this process's, or (with a bus) this replica's shards of the set's. */
  readonly stream: ServedStream;
  readonly platform: PlatformClient;
  /** The HTTP face's backend: the JSON API, the dashboard's event stream, readiness and metrics. */
  readonly api: ServiceApiBackend;
  readonly store: SwitchboardStore;
  /** What the service reports as it runs and stops: `status.on('backfill', …)`, or iterate it. */
  readonly status: ServiceStatusStream;
  /** Stops everything in reverse order; resolves with what was done. Safe to call more than once. */
  stop(reason?: string): Promise<ShutdownReport>;
}

/** The service's components, built and not started. */
export interface ComposedService {
  readonly runner: ComponentRunner;
  readonly status: ServiceStatusStream;
  readonly topology: Topology;
  readonly platform: PlatformComponent;
  readonly store: StoreComponent;
  readonly stream: StreamComponent;
  readonly dashboard: DashboardComponent;
}

/** Builds every component from the validated config; throws a ConfigError before anything opens. */
export function composeService(options: StartServiceOptions): ComposedService {
  const { config } = options;
  const refused = checkServerAccess(config.server);
  if (refused) throw new ConfigError(`Refusing to start: ${refused}.`);
  if (config.proactive && !options.proactive) {
    throw new ConfigError('This build has no proactive engine, but the config has a proactive section.', {
      hint: 'Remove the proactive section, or run a Switchboard that includes the engine.',
    });
  }
  const logger = options.logger ?? silentLogger();
  const status = new ServiceStatusStream();
  const bounds = { ...DEFAULT_READINESS_BOUNDS, ...config.readiness };

  const platform = new PlatformComponent(config, { logger, retry: options.retry });
  const store = new StoreComponent(config, status, logger);
  const sinks = new SinksComponent({ config, extra: () => topology.extraSinks(), bounds, status, logger });
  const topology = chooseTopology({
    config,
    platform,
    store,
    sinks: () => sinks.dispatcher,
    ...sourcesFromConfig(config, logger, options.source),
    bounds,
    status,
    logger,
  });
  const engine =
    config.proactive && options.proactive && topology.engineFeed
      ? new EngineComponent({
          config: { ...config, proactive: config.proactive },
          factory: options.proactive,
          platform,
          store,
          feed: topology.engineFeed,
          retry: options.retry,
          backoff: options.engineBackoff,
          status,
          logger,
        })
      : undefined;
  const dashboard = new DashboardComponent({
    config,
    mode: options.mode ?? 'run',
    platform,
    store,
    stream: topology.stream,
    engine,
    readiness: () => runner.readiness(),
    injectFault: options.injectFault,
    files: options.files,
    overviewEveryMs: options.overviewEveryMs,
    status,
    logger,
  });
  const queueNames = new QueueNamesComponent({ config, platform, dashboard, logger });
  const components: ServiceComponent[] = [
    dashboard,
    platform,
    store,
    ...(topology.bus ? [topology.bus] : []),
    sinks,
    ...(engine ? [engine] : []),
    topology.stream,
    queueNames,
  ];
  const runner = new ComponentRunner(components, {
    status,
    logger,
    rollbackTimeoutMs: config.shutdownTimeoutMs,
  });
  return { runner, status, topology, platform, store, stream: topology.stream, dashboard };
}

/** Starts the service; resolves once every component has started (every channel subscribed, the dashboard up). */
export async function startService(options: StartServiceOptions): Promise<Service> {
  const { config } = options;
  const composed = composeService(options);
  const { runner, status, stream, dashboard } = composed;
  const stopReporting = reportProgress(status, options.reporter ?? createReporter());
  status.emit({
    type: 'starting',
    region: config.genesys.region,
    clientId: config.genesys.clientId,
    proactive: config.proactive !== undefined,
  });
  try {
    await runner.start();
  } catch (error) {
    stopReporting();
    status.close();
    throw error;
  }
  const live = stream.stream!;
  const url = dashboard.server.url;
  status.emit({ type: 'ready', url, eventsSoFar: live.health().pipeline.eventsTotal });

  let stopped: Promise<ShutdownReport> | undefined;
  return {
    config,
    url,
    port: dashboard.server.port,
    stream: live,
    platform: composed.platform.client,
    api: dashboard.api,
    store: composed.store.store,
    status,
    stop(reason = 'stop requested') {
      stopped ??= (async () => {
        status.emit({ type: 'stopping', reason });
        const done = await runner.stop(reason, config.shutdownTimeoutMs);
        const report: ShutdownReport = { ...done, ...countSubscriptions(stream) };
        status.emit({ type: 'stopped', report });
        stopReporting();
        status.close();
        return report;
      })();
      return stopped;
    },
  };
}

function countSubscriptions(
  stream: StreamComponent,
): Pick<ShutdownReport, 'channels' | 'subscriptionsRemoved'> {
  return { channels: stream.subscriptions.channels, subscriptionsRemoved: stream.subscriptions.removed };
}
