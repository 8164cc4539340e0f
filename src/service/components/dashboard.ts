/**
 * The service's HTTP face: the HTTP backend (`ServiceApiBackend`) and the server for health, readiness, metrics,
 * the JSON API and the dashboard. It starts first, so `/readyz` answers (503, with the reason) while everything else
 * comes up, and stops last, so it answers 503 "shutting down" until the end. The queue names the dashboard shows
 * are loaded once the stream runs, and again on the re-discovery rhythm.
 */
import { ConfigError, isSwitchboardError } from '../../errors.js';
import type { Logger } from '../../logging.js';
import { collectAll } from '../../platform/index.js';
import { ServiceApiBackend } from '../../server/api-backend.js';
import { type RunningHttpServer, startHttpServer } from '../../server/http-server.js';
import type { ReadinessReport } from '../../server/readiness.js';
import { loadStaticFiles, type StaticFile } from '../../server/static-files.js';
import type { ServiceComponent } from '../component.js';
import type { ServiceConfig } from '../config.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';
import type { EngineComponent } from './engine.js';
import type { PlatformComponent } from './platform.js';
import type { StoreComponent } from './store.js';
import type { StreamComponent } from './stream.js';

export interface DashboardComponentOptions {
  config: ServiceConfig;
  mode: 'run' | 'demo';
  platform: PlatformComponent;
  store: StoreComponent;
  stream: StreamComponent;
  engine: EngineComponent | undefined;
  /** The service's readiness, composed from its components'. */
  readiness: () => ReadinessReport;
  /** Lets the dashboard inject faults (the demo's). */
  injectFault?: ((command: unknown) => Promise<unknown>) | undefined;
  files?: Map<string, StaticFile> | undefined;
  overviewEveryMs?: number | undefined;
  status: ServiceStatusStream;
  logger: Logger;
}

export class DashboardComponent implements ServiceComponent {
  readonly name = 'http server';
  private backend: ServiceApiBackend | undefined;
  private http: RunningHttpServer | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: DashboardComponentOptions) {}

  /** The dashboard's backend (once started). */
  get api(): ServiceApiBackend {
    if (!this.backend) throw new Error('the dashboard is not started yet');
    return this.backend;
  }

  /** The server (once started). */
  get server(): RunningHttpServer {
    if (!this.http) throw new Error('the HTTP server is not started yet');
    return this.http;
  }

  async start(): Promise<void> {
    const { config, platform, store, stream, engine, status } = this.options;
    const state = new ServiceApiBackend({
      mode: this.options.mode,
      showCustomerData: config.server.showCustomerData,
      recentEvents: config.server.recentEvents,
      stream: () => stream.stream,
      platform: () => platform.client,
      ledger: () => store.ledger(),
      proactive: () => engine?.summary(),
      readiness: this.options.readiness,
      engine: () => engine?.health(),
      iteratorDrops: () => stream.iteratorDrops(),
      ...(this.options.injectFault ? { injectFault: this.options.injectFault } : {}),
      ...(this.options.overviewEveryMs ? { overviewEveryMs: this.options.overviewEveryMs } : {}),
    });
    this.unsubscribe.push(
      status.on('channel', (event) => state.observeStatus(event.status)),
      status.on('decision', (event) => state.observeDecision(event.decision)),
      stream.onEvent((event) => state.observeEvent(event)),
    );
    try {
      this.http = await listen(config, state, this.options.files ?? loadStaticFiles(), this.options.logger);
    } catch (error) {
      this.detach();
      state.close();
      throw error;
    }
    this.backend = state;
    status.emit({ type: 'listening', url: this.http.url, tokenRequired: config.server.token !== undefined });
  }

  async stop(context: StopContext): Promise<void> {
    this.detach();
    this.backend?.close();
    const http = this.http;
    if (http) await context.step('http server', () => http.close());
  }

  private detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}

async function listen(
  config: ServiceConfig,
  state: ServiceApiBackend,
  files: Map<string, StaticFile>,
  logger: Logger,
): Promise<RunningHttpServer> {
  try {
    return await startHttpServer({
      host: config.server.host,
      port: config.server.port,
      ...(config.server.token ? { token: config.server.token } : {}),
      backend: state,
      files,
      logger,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new ConfigError(
        `Cannot listen on ${config.server.host}:${config.server.port} (${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : 'no such address on this machine'}).`,
        { hint: 'Pick another server.port (or --port), or stop the process that holds it.', cause: error },
      );
    }
    throw error;
  }
}

/** Queue names for the dashboard, once the stream runs; without `routing:queue:view` it shows ids. */
export class QueueNamesComponent implements ServiceComponent {
  readonly name = 'queue names';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      config: ServiceConfig;
      platform: PlatformComponent;
      dashboard: DashboardComponent;
      logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    void this.load();
    // New queues are subscribed at each re-discovery; their names follow on the same rhythm.
    this.timer = setInterval(
      () => void this.load(),
      this.options.config.stream.rediscoverEveryMs || 10 * 60_000,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  private async load(): Promise<void> {
    const { platform, dashboard, logger } = this.options;
    try {
      const queues = await collectAll((page) => platform.client.routing.getRoutingQueues(page), {
        pageSize: 100,
      });
      dashboard.api.setQueueNames(
        queues.flatMap((q) => (q.id ? [{ id: q.id, ...(q.name ? { name: q.name } : {}) }] : [])),
      );
    } catch (error) {
      logger.warn(
        { code: isSwitchboardError(error) ? error.code : undefined, err: (error as Error).message },
        'queue names could not be listed; the dashboard shows queue ids',
      );
    }
  }
}
