/**
 * The proactive engine: built from the rules (refusing to start on a bad rules file), run by its supervisor, which
 * starts it again when it dies. It starts before the stream it reads and stops after it: told at once that the
 * service is stopping, it either keeps reading until the stream has stopped and then drains its feed (one process),
 * or stops right away, handing what it had not settled back for another replica.
 */
import type { Logger } from '../../logging.js';
import type { PlatformClient, RetryOptions } from '../../platform/index.js';
import type { ProactiveSummary } from '../../server/api-backend.js';
import { type ComponentReadiness, type EngineHealth, engineReadiness } from '../../server/readiness.js';
import { isPostgresSpec } from '../../store/postgres-url.js';
import type { ServiceComponent } from '../component.js';
import type { ServiceConfig } from '../config.js';
import type { EngineRunFeed } from '../engine-feed.js';
import { type EngineBackoff, EngineSupervisor } from '../engine-supervisor.js';
import type { ProactiveRuntime, ProactiveRuntimeFactory } from '../proactive-runtime.js';
import type { StopContext } from '../shutdown.js';
import type { ServiceStatusStream } from '../status.js';
import { type PlatformComponent, platformClientFor } from './platform.js';
import type { StoreComponent } from './store.js';

/** How the engine reads the stream: one process's sink, or a replica's durable consumer (see `topology.ts`). */
export interface EngineFeedPlan {
  /** The events of one run of the engine (a fresh feed for every run). */
  open(): EngineRunFeed;
  /**
   * When the service stops: `true`, the engine stops at once and what it had not settled goes back to be read
   * again; `false`, it keeps reading until the stream has stopped, then {@link drain}s.
   */
  readonly stopsAtOnce: boolean;
  /** Once the stream has stopped: hands the engine what is left for it, within a bound. */
  drain?(): Promise<void>;
}

export interface EngineComponentOptions {
  config: ServiceConfig & { proactive: NonNullable<ServiceConfig['proactive']> };
  factory: ProactiveRuntimeFactory;
  platform: PlatformComponent;
  store: StoreComponent;
  feed: EngineFeedPlan;
  retry?: Partial<RetryOptions> | undefined;
  backoff?: Partial<EngineBackoff> | undefined;
  status: ServiceStatusStream;
  logger: Logger;
}

export class EngineComponent implements ServiceComponent {
  readonly name = 'proactive engine';
  private runtime: ProactiveRuntime | undefined;
  private supervisor: EngineSupervisor | undefined;
  /** Its own OAuth client's platform client, when configured (its own rate budget). */
  private ownPlatform: PlatformClient | undefined;

  constructor(private readonly options: EngineComponentOptions) {}

  async start(): Promise<void> {
    const { config, status, logger } = this.options;
    const own = config.proactive.client;
    // Its own OAuth client, when configured, has its own rate budget: a campaign never slows the stream.
    const platform = own
      ? platformClientFor(config, own, { logger, retry: this.options.retry })
      : this.options.platform.client;
    try {
      const runtime = this.options.factory({
        config: config.proactive,
        platform,
        store: this.options.store.store,
        logger,
        // A send takes seconds at most; a claim this old on a shared ledger is a dead replica's.
        ...(isPostgresSpec(config.store.path) ? { sendingStaleMs: 120_000 } : {}),
        onDecision: (decision) => status.emit({ type: 'decision', decision }),
      });
      const summary = runtime.summary();
      status.emit({
        type: 'engine-built',
        rules: summary.rules,
        rulesFile: config.proactive.rulesPath,
        dryRun: summary.dryRun,
        ...(own ? { ownClient: own.clientId } : {}),
      });
      this.supervisor = new EngineSupervisor({
        runtime,
        openFeed: () => this.options.feed.open(),
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
        logger,
      });
      this.runtime = runtime;
    } catch (error) {
      if (own) await platform.close().catch(() => undefined);
      throw error;
    }
    if (own) this.ownPlatform = platform;
    void this.supervisor.start();
  }

  quiesce(): void {
    if (this.options.feed.stopsAtOnce) void this.supervisor?.stop();
    else this.supervisor?.markStopping();
  }

  async stop(context: StopContext): Promise<void> {
    const supervisor = this.supervisor;
    if (supervisor) {
      await context.step(
        'proactive engine',
        async () => {
          await this.options.feed.drain?.();
          await supervisor.stop();
        },
        0.6,
      );
    }
    const own = this.ownPlatform;
    if (own) await context.step('proactive platform client', () => own.close());
  }

  readiness(now: number): ComponentReadiness {
    return engineReadiness(this.supervisor?.health(), now);
  }

  /** The supervisor's view: running, down (since when, why), restarts. */
  health(): EngineHealth | undefined {
    return this.supervisor?.health();
  }

  /** What the dashboard says of the engine: rules, dry run, rules stopped. */
  summary(): ProactiveSummary | undefined {
    return this.runtime?.summary();
  }
}
