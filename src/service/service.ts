/**
 * The Switchboard service: the conversation stream, the sinks, the proactive engine (when configured) and the
 * HTTP server in one process. `startService` reports what it found on the way up and refuses to start half-way
 * (bad credentials, an unreadable rules file, a port in use); `stop` takes it down in order within a bound.
 */
import { type Bus, connectBus } from '../bus/connection.js';
import { consumeEvents } from '../bus/event-consumer.js';
import { ensureEventStream } from '../bus/event-stream.js';
import { ClusterStream } from '../cluster/cluster-stream.js';
import { ConfigError, isSwitchboardError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import {
  type ConversationStream,
  createConversationStream,
  type LiveStream,
} from '../pipeline/conversation-stream.js';
import {
  collectAll,
  createPlatformClient,
  type PlatformClient,
  type RetryOptions,
} from '../platform/index.js';
import { DashboardState } from '../server/dashboard-state.js';
import { type RunningHttpServer, startHttpServer } from '../server/http-server.js';
import { loadStaticFiles, type StaticFile } from '../server/static-files.js';
import { createSink, EventDispatcher, type EventSink } from '../sinks/index.js';
import { createNatsSink } from '../sinks/nats.js';
import { ledgerOf, openStore, type SwitchboardStore } from '../store/index.js';
import type { BackfillReport } from '../stream/backfiller.js';
import { checkServerAccess, isPostgresUrl, type ServiceConfig } from './config.js';
import { DecisionLines } from './decision-lines.js';
import { createEngineSink, EngineFeed, type EngineRunFeed } from './engine-feed.js';
import { type EngineBackoff, EngineSupervisor } from './engine-supervisor.js';
import type { ProactiveRuntime, ProactiveRuntimeFactory } from './proactive-runtime.js';
import { createReporter, type Reporter } from './reporter.js';
import { type ShutdownReport, shutdownService } from './shutdown.js';
import {
  describeBackfill,
  describePool,
  describeSelection,
  describeSink,
  describeStatus,
} from './summary.js';

export interface StartServiceOptions {
  config: ServiceConfig;
  logger?: Logger;
  reporter?: Reporter;
  mode?: 'run' | 'demo';
  /** Builds the proactive engine when the config has `proactive`. */
  proactive?: ProactiveRuntimeFactory;
  /** Demo mode: the emulator whose `/__emulator/faults` the dashboard may call. */
  emulatorUrl?: string;
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
  readonly stream: LiveStream;
  readonly platform: PlatformClient;
  readonly state: DashboardState;
  readonly store: SwitchboardStore;
  /** Stops everything in order; resolves with what was done. Safe to call more than once. */
  stop(reason?: string): Promise<ShutdownReport>;
}

/** Fault types the dashboard may inject in demo mode. */
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

/** Starts the service; resolves once every channel is subscribed and the dashboard is up. */
export async function startService(options: StartServiceOptions): Promise<Service> {
  const { config } = options;
  const refused = checkServerAccess(config.server);
  if (refused) throw new ConfigError(`Refusing to start: ${refused}.`);
  const logger = options.logger ?? silentLogger();
  const report = options.reporter ?? createReporter();
  const mode = options.mode ?? 'run';
  const region = config.genesys.region;
  report.line(
    `region ${region.custom ? region.apiBaseUrl : `${region.name} (${region.domain})`}, OAuth client ${config.genesys.clientId}`,
  );

  const platform = createPlatformClient({
    region,
    clientId: config.genesys.clientId,
    clientSecret: config.genesys.clientSecret,
    logger,
    ...(config.genesys.requestsPerMinute
      ? { rateLimit: { requestsPerWindow: config.genesys.requestsPerMinute, windowMs: 60_000 } }
      : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => platform.close()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };

  try {
    const store = await openStore(config.store.path, {
      ...(config.cluster ? { replicaId: config.cluster.replicaId } : {}),
      logger,
    });
    cleanups.push(() => store.close());
    report.line(`store ${store.description}`);

    // With a bus this process is one replica of a set: events go to JetStream, shards are coordinated there.
    let bus: Bus | undefined;
    let cluster: ClusterStream | undefined;
    if (config.bus) {
      const connected = await connectBus({ url: config.bus.url, name: config.cluster?.replicaId, logger });
      bus = connected;
      cleanups.push(() => connected.close());
      const info = await ensureEventStream(connected, {
        stream: config.bus.stream,
        subjectPrefix: config.bus.subjectPrefix,
        duplicateWindowMs: config.bus.duplicateWindowMs,
      });
      report.line(
        `bus ${connected.description} (NATS ${connected.serverVersion}): stream ${info.stream}, subjects ${info.subjectPrefix}.<type>.<conversation>`,
      );
    }
    const configured: EventSink[] = config.sinks.map((spec) =>
      createSink(spec, { logger, ...(config.outboxDir ? { outboxDir: config.outboxDir } : {}) }),
    );
    if (bus && config.bus) {
      configured.unshift(
        createNatsSink(
          {
            kind: 'nats',
            url: config.bus.url,
            stream: config.bus.stream,
            subjectPrefix: config.bus.subjectPrefix,
            // In memory: the checkpoint of a replica waits for JetStream's ack, so a successor loses nothing; past the
            // bound (a long NATS outage) the shard stops reading and backfills once NATS has room again.
            outbox: { capacity: config.bus.outboxCapacity, policy: 'stop' },
            // Retried until NATS takes them (or the lease is lost), soon after it is back.
            retry: { initialDelayMs: 200, maxDelayMs: 2000 },
          },
          { bus, stamp: (event) => cluster?.stamp(event) ?? { allowed: true }, logger },
        ),
      );
    }
    // In one process the engine is one more sink: a slow or restarting engine makes events wait, never drops them.
    const engineFeed = config.proactive && !bus ? new EngineFeed() : undefined;
    const engineSink = engineFeed ? createEngineSink(engineFeed, logger, config.outboxDir) : undefined;
    const sinks: EventDispatcher | undefined =
      configured.length > 0 || engineSink
        ? new EventDispatcher([...configured, ...(engineSink ? [engineSink] : [])], { logger })
        : undefined;
    if (sinks) cleanups.push(() => sinks.close({ timeoutMs: 2000 }));
    report.line(
      sinks
        ? `sinks: ${[...(bus ? ['nats (JetStream)'] : []), ...config.sinks.map(describeSink), ...(engineSink ? ['the proactive engine'] : [])].join(', ')}`
        : 'sinks: none (events go to the dashboard and API only)',
    );

    let proactive: ProactiveRuntime | undefined;
    let supervisor: EngineSupervisor | undefined;
    let stopping: string | undefined;
    let ledger: ReturnType<typeof ledgerOf> | undefined;
    let streamRef: LiveStream | undefined;
    let single: ConversationStream | undefined;
    const state: DashboardState = new DashboardState({
      mode,
      showCustomerData: config.server.showCustomerData,
      recentEvents: config.server.recentEvents,
      stream: () => streamRef,
      platform: () => platform,
      ledger: () => {
        ledger ??= ledgerOf(store);
        return ledger;
      },
      proactive: () => proactive?.summary(),
      notReadyBecause: () => stopping,
      engine: () => supervisor?.health(),
      ...(config.readiness ? { readiness: config.readiness } : {}),
      ...(config.cluster ? { leaseTtlMs: config.cluster.leaseTtlMs } : {}),
      iteratorDrops: () =>
        (single?.pipeline.hub.droppedByIterators ?? 0) + (cluster?.hub.droppedByIterators ?? 0),
      ...(options.emulatorUrl ? { injectFault: faultInjector(options.emulatorUrl) } : {}),
      ...(options.overviewEveryMs ? { overviewEveryMs: options.overviewEveryMs } : {}),
    });
    cleanups.push(() => state.close());

    const decisionLines = new DecisionLines(report);
    cleanups.push(() => decisionLines.close());
    if (config.proactive) {
      if (!options.proactive) {
        throw new ConfigError('This build has no proactive engine, but the config has a proactive section.', {
          hint: 'Remove the proactive section, or run a Switchboard that includes the engine.',
        });
      }
      // Its own OAuth client, when configured, has its own rate budget: a campaign never slows the stream.
      const own = config.proactive.client;
      const proactivePlatform = own
        ? createPlatformClient({
            region,
            clientId: own.clientId,
            clientSecret: own.clientSecret,
            logger,
            ...(own.requestsPerMinute
              ? { rateLimit: { requestsPerWindow: own.requestsPerMinute, windowMs: 60_000 } }
              : {}),
            ...(options.retry ? { retry: options.retry } : {}),
          })
        : platform;
      if (own) {
        cleanups.push(() => proactivePlatform.close());
        report.line(
          `proactive: lookups and sends on their own OAuth client ${own.clientId} (its own rate budget)`,
        );
      }
      proactive = options.proactive({
        config: config.proactive,
        platform: proactivePlatform,
        store,
        logger,
        // A send takes seconds at most; a claim this old on a shared ledger is a dead replica's.
        ...(isPostgresUrl(config.store.path) ? { sendingStaleMs: 120_000 } : {}),
        onDecision: (decision) => {
          state.observeDecision(decision);
          decisionLines.add(decision);
        },
      });
      const summary = proactive.summary();
      report.line(
        `proactive: ${summary.rules} rule(s) from ${config.proactive.rulesPath}${summary.dryRun ? ' (dry run: nothing is sent)' : ''}`,
      );
    } else {
      report.line('proactive: off (no proactive section in the config)');
    }

    const streamOptions = {
      platform,
      store,
      ...(sinks ? { sinks } : {}),
      backfill: config.stream.backfill,
      timing: config.stream.timing,
      // One line per gap recovered (or left open to be tried again), for every stream of this process.
      onBackfill: (run: BackfillReport, complete: boolean) => report.line(describeBackfill(run, complete)),
      logger,
    };
    const rediscover =
      config.stream.rediscoverEveryMs === undefined
        ? {}
        : { rediscoverEveryMs: config.stream.rediscoverEveryMs };
    let stream: LiveStream;
    if (bus && config.cluster) {
      cluster = new ClusterStream({
        settings: config.cluster,
        connection: bus.connection,
        stream: streamOptions,
        selection: config.stream.selection,
        ...rediscover,
        logger,
      });
      stream = cluster;
    } else {
      single = createConversationStream({
        ...streamOptions,
        selection: config.stream.selection,
        ...rediscover,
      });
      stream = single;
    }
    streamRef = stream;
    stream.onAny((event) => state.observeEvent(event));
    // The engine reads the sink's feed in one process (it has every event since the stream started). With a bus,
    // the engines of all replicas share a durable consumer instead, each event decided by one of them; every run
    // of the engine opens its own (what a dead run had not settled goes back to the stream for any replica).
    const openEngineFeed = (): EngineRunFeed | undefined => {
      if (engineFeed) return engineFeed.open();
      if (!bus || !config.bus) return undefined;
      const consumer = consumeEvents(bus, { stream: config.bus.stream, durable: config.bus.durable, logger });
      return { events: consumer.events, onEventSettled: consumer.settle, close: () => consumer.close() };
    };
    if (proactive) {
      const runtime = proactive;
      supervisor = new EngineSupervisor({
        runtime,
        openFeed: () => {
          const feed = openEngineFeed();
          if (!feed) throw new Error('no event source for the proactive engine');
          return feed;
        },
        ...(options.engineBackoff ? { backoff: options.engineBackoff } : {}),
        logger,
      });
      const supervised = supervisor;
      cleanups.push(() => supervised.stop());
    }

    const http = await listen(config, state, options.files ?? loadStaticFiles(), logger);
    cleanups.push(() => http.close());
    report.line(
      `dashboard ${http.url}/${config.server.token ? ' (access token required: open it once with ?token=<token>)' : ''}`,
    );

    report.progress(`connecting: resolving ${describeSelection(config.stream.selection)}…`);
    let started = false;
    if (cluster && config.cluster) {
      const replicaSet = cluster;
      try {
        await replicaSet.start();
      } catch (error) {
        cleanups.push(() => replicaSet.stop());
        throw error;
      }
      report.line(
        `replica ${config.cluster.replicaId}: ${config.cluster.shards} shard(s), ${config.cluster.spareChannels} spare channel(s), lease TTL ${config.cluster.leaseTtlMs} ms`,
      );
    } else if (single) {
      const starting = single.start();
      const pool = await poolOf(single, starting);
      pool?.status.on('*', (status) => {
        state.observeStatus(status);
        if (status.type === 'subscribed' && !started) {
          report.progress(`connecting: channel ${status.slot} subscribed ${status.permitted} topic(s)…`);
          return;
        }
        if (!started) return;
        const line = describeStatus(status);
        if (line) report.line(line);
      });
      try {
        await starting;
      } catch (error) {
        cleanups.push(() => single?.stop({ drainMs: 0 }));
        throw error;
      }
    }
    started = true;
    const health = stream.health();
    if (health.pool && single) for (const line of describePool(health.pool)) report.line(line);

    void loadQueueNames(platform, state, logger);
    // New queues are subscribed at each re-discovery; their names follow on the same rhythm.
    const queueNames = setInterval(
      () => void loadQueueNames(platform, state, logger),
      config.stream.rediscoverEveryMs || 10 * 60_000,
    );
    queueNames.unref();

    const engineRun = supervisor?.start();
    report.line(`ready: ${health.pipeline.eventsTotal} event(s) so far; dashboard ${http.url}/`);

    let stopped: Promise<ShutdownReport> | undefined;
    return {
      config,
      url: http.url,
      port: http.port,
      stream,
      platform,
      state,
      store,
      stop(reason = 'stop requested') {
        stopped ??= (async () => {
          stopping = `shutting down (${reason})`;
          clearInterval(queueNames);
          // In one process the engine drains its sink while the stream stops (the stream flushes the sinks), then
          // stops; the events it had no time for stay with the sink. A replica's engine stops at once: what it
          // had not settled goes back to the stream for another replica.
          const streamStopped = deferred();
          const engineDone = engineRun
            ? (async () => {
                if (engineSink) {
                  await streamStopped.promise;
                  await engineSink.close({ timeoutMs: 2000 });
                }
                await supervisor?.stop();
              })().finally(() => decisionLines.close())
            : undefined;
          const result = await shutdownService({
            timeoutMs: config.shutdownTimeoutMs,
            stream: engineSink ? stoppedSignalling(stream, streamStopped.resolve) : stream,
            platform,
            abortEngine: () => (engineSink ? supervisor?.markStopping() : void supervisor?.stop()),
            engineRun: engineDone,
            sinks,
            store,
            state,
            http,
            report,
            logger,
          });
          decisionLines.close();
          streamStopped.resolve();
          // Unsettled events went back to the stream for another replica when the engine stopped; now the bus closes.
          await supervisor?.stop().catch(() => undefined);
          await bus?.close().catch(() => undefined);
          return result;
        })();
        return stopped;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The pool of a starting stream (it exists once the checkpoint is restored, before any channel connects). */
async function poolOf(stream: ConversationStream, starting: Promise<void>) {
  let settled = false;
  void starting.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  while (!stream.pool && !settled) await new Promise((resolve) => setImmediate(resolve));
  return stream.pool;
}

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The stream, telling `onStopped` once its `stop` has settled (the shutdown's cue for the engine's sink). */
function stoppedSignalling(stream: LiveStream, onStopped: () => void): LiveStream {
  return {
    onAny: (handler) => stream.onAny(handler),
    health: () => stream.health(),
    liveConversationIds: () => stream.liveConversationIds(),
    stop: (options) => stream.stop(options).finally(onStopped),
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
  };
}

async function listen(
  config: ServiceConfig,
  state: DashboardState,
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

/** Queue names for the dashboard; without `routing:queue:view` it shows ids. */
async function loadQueueNames(
  platform: PlatformClient,
  state: DashboardState,
  logger: Logger,
): Promise<void> {
  try {
    const queues = await collectAll((page) => platform.routing.getRoutingQueues(page), { pageSize: 100 });
    state.setQueueNames(
      queues.flatMap((q) => (q.id ? [{ id: q.id, ...(q.name ? { name: q.name } : {}) }] : [])),
    );
  } catch (error) {
    logger.warn(
      { code: isSwitchboardError(error) ? error.code : undefined, err: (error as Error).message },
      'queue names could not be listed; the dashboard shows queue ids',
    );
  }
}

/** Demo mode: passes a fault command to the emulator, refusing anything but the known fault types. */
function faultInjector(emulatorUrl: string): (command: unknown) => Promise<unknown> {
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
