/**
 * The local Genesys Cloud emulator: `startEmulator()` serves OAuth, REST and the notification WebSocket on one
 * origin, wires the emulated world (org, traffic, analytics) to the notification hub, and exposes fault injection
 * and status under `/__emulator/`.
 */
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../logging.js';
import { type ClientDefinition, ClientRegistry, DEFAULT_CLIENT } from './auth/clients.js';
import { registerOAuthRoutes } from './auth/oauth.js';
import { TokenStore } from './auth/tokens.js';
import {
  type EmulatorEventBridge,
  type EventBridgeSettings,
  registerEventBridgeRoutes,
  startEventBridge,
} from './eventbridge/index.js';
import { EmulatorFaults, NetworkBlackout, RequestFaults, registerFaultRoutes } from './faults.js';
import { RequestJournal } from './journal.js';
import { NotificationHub, type NotificationPublisher } from './notifications/hub.js';
import { registerNotificationRoutes } from './notifications/routes.js';
import { NotificationSocketServer } from './notifications/socket-server.js';
import { type ProfileName, profileSettings } from './profiles.js';
import { RateLimiter } from './rate-limit.js';
import { Router } from './router.js';
import { registerWorldRoutes } from './routes/index.js';
import { createEmulatorServer } from './server.js';
import { type EmulatorSettings, resolveSettings, SETTING_KEYS } from './settings.js';
import { type Clock, createWorld, systemClock, type World, type WorldSettings } from './world/index.js';

export type { ClientDefinition } from './auth/clients.js';
export { DEFAULT_CLIENT } from './auth/clients.js';
export type { EmulatorEventBridge, EventBridgeFaults, EventBridgeSettings } from './eventbridge/index.js';
export type { FaultCommand, FaultResult } from './faults.js';
export type { JournalEntry, RequestJournal, UpgradeEntry } from './journal.js';
export type { NotificationPublisher } from './notifications/hub.js';
export { PROFILES, type ProfileName } from './profiles.js';
export type { EmulatorSettings } from './settings.js';
export type { Clock, World, WorldSettings } from './world/index.js';

/** Builds the world; the default is the emulated world's `createWorld`. */
export type WorldFactory = (
  settings: Partial<WorldSettings>,
  publisher: NotificationPublisher,
  clock?: Clock,
) => World;

/**
 * Options of {@link startEmulator}: shell settings, world settings (agents, queues, historyDays,
 * conversationsPerMinute, timeScale, seed, ...) side by side, and clients.
 */
export interface StartEmulatorOptions extends Partial<EmulatorSettings>, Partial<WorldSettings> {
  /** A named world (`large`: thousands of agents, ~1,000 new conversations a minute); other options override it. */
  profile?: ProfileName;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Clients accepted besides the demo client (which has every permission). */
  clients?: ClientDefinition[];
  /** The world to run: a factory, or false for none (notifications and faults only). */
  world?: WorldFactory | false;
  /** The world's clock (a ManualClock in tests); the system clock by default. */
  clock?: Clock;
  /**
   * An Amazon EventBridge integration delivering into an SQS queue served on its own port (`true` for the defaults:
   * the detail events a lifecycle needs, every conversation's). The world then produces detail events.
   */
  eventBridge?: boolean | Partial<EventBridgeSettings>;
  logger?: Logger;
}

/** A snapshot of the emulator's channels, sockets and tokens. */
export interface EmulatorStatus {
  url: string;
  /** Live conversations in progress and timeline errors of the world; null without a world. */
  world: { activeConversations: number; errors: number } | null;
  channels: number;
  connectedSockets: number;
  subscriptions: number;
  clients: Record<string, { channels: number; connected: number; peakConnected: number }>;
  tokens: { active: number; expired: number; revoked: number };
  rateLimitPerMinute: number;
  pendingRequestFaults: number;
  notifications: {
    published: number;
    framesSent: number;
    framesSuppressed: number;
    slowConsumersCut: number;
  };
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:8787`: OAuth, REST and (as ws://) streaming. */
  url: string;
  port: number;
  host: string;
  /** Live settings (fault commands change some of them). */
  settings: EmulatorSettings;
  /** Every accepted client, secrets included. */
  clients: ClientDefinition[];
  world: World | undefined;
  /** The EventBridge integration and its SQS queue, when asked for. */
  eventBridge: EmulatorEventBridge | undefined;
  hub: NotificationHub;
  tokens: TokenStore;
  router: Router;
  faults: EmulatorFaults;
  /**
   * The last requests received (admin routes aside), with their headers and bodies as sent, and the WebSocket
   * upgrades (`requests.upgrades()`): a test's oracle.
   */
  requests: RequestJournal;
  status(): EmulatorStatus;
  stop(): Promise<void>;
}

const SHELL_KEYS = new Set(['port', 'host', 'clients', 'world', 'clock', 'logger', 'profile', 'eventBridge']);

/** Splits the options into shell settings and world settings. */
function splitOptions(options: StartEmulatorOptions): {
  shell: Partial<EmulatorSettings>;
  world: Partial<WorldSettings>;
} {
  const shell: Record<string, unknown> = {};
  const world: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || SHELL_KEYS.has(key)) continue;
    if (SETTING_KEYS.has(key)) shell[key] = value;
    else world[key] = value;
  }
  return { shell: shell as Partial<EmulatorSettings>, world: world as Partial<WorldSettings> };
}

/** Starts the emulator and resolves once it listens. */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const logger = options.logger ?? silentLogger();
  const { shell, world: given } = splitOptions(options);
  const worldOptions = { ...profileSettings(options.profile ?? 'default'), ...given };
  const settings = resolveSettings(shell);
  const clients = new ClientRegistry([DEFAULT_CLIENT, ...(options.clients ?? [])]);
  const tokens = new TokenStore(settings.tokenLifetimeSeconds);
  const limiter = new RateLimiter(
    settings.rateLimitPerMinute,
    settings.rateLimitWindowMs,
    Date.now,
    settings.rateLimitMode,
  );
  const requestFaults = new RequestFaults();
  const journal = new RequestJournal();
  const blackout = new NetworkBlackout();
  const hub = new NotificationHub(settings, logger);
  const sockets = new NotificationSocketServer(hub);
  const router = new Router();
  const host = options.host ?? '127.0.0.1';
  let port = 0;

  tokens.onEnd((records, reason) => {
    hub.endChannelsOfTokens(new Set(records.map((record) => record.tokenId)), reason === 'revoked');
  });

  const eventBridge = options.eventBridge
    ? await startEventBridge({
        settings: options.eventBridge === true ? {} : options.eventBridge,
        organizationId: settings.organizationId,
        clock: options.clock ?? systemClock,
        host,
      })
    : undefined;
  const factory = options.world === false ? undefined : (options.world ?? createWorld);
  const world = factory?.(worldOptions, eventBridge ? withEventBridge(hub, eventBridge) : hub, options.clock);

  const faults = new EmulatorFaults({
    blackout,
    hub,
    tokens,
    limiter,
    requestFaults,
    settings,
    ...(world ? { setTraffic: (perMinute: number) => world.setTraffic(perMinute) } : {}),
  });

  registerOAuthRoutes(router, clients, tokens, settings.organizationId);
  registerNotificationRoutes(router, hub, tokens, settings, () => `${host}:${port}`);
  registerFaultRoutes(router, faults);
  if (world) registerWorldRoutes(router, world);
  if (eventBridge) registerEventBridgeRoutes(router, eventBridge);

  const server = createEmulatorServer({
    router,
    tokens,
    limiter,
    requestFaults,
    blackout,
    settings,
    sockets,
    journal,
    logger,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const status = (): EmulatorStatus => ({
    url,
    world: world ? { activeConversations: world.activeConversations, errors: world.errors.length } : null,
    channels: hub.channels.size,
    connectedSockets: hub.connectedCount(),
    subscriptions: hub.channels.subscriptions,
    clients: hub.clientStats(),
    tokens: tokens.counts(),
    rateLimitPerMinute: limiter.getLimit(),
    pendingRequestFaults: requestFaults.pending,
    notifications: { ...hub.counters },
  });
  router.add('GET', '/__emulator/status', () => ({ status: 200, body: status() }), {
    auth: false,
    rateLimited: false,
  });
  router.add(
    'GET',
    '/__emulator/channels',
    () => ({ status: 200, body: { entities: describeChannels(hub) } }),
    {
      auth: false,
      rateLimited: false,
    },
  );

  world?.start();
  logger.info({ url, world: world !== undefined }, 'emulator listening');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await world?.stop();
      await eventBridge?.stop();
      hub.close();
      sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return stopped;
  };

  return {
    url,
    port,
    host,
    settings,
    clients: clients.list().map(({ permissionSet: _set, ...definition }) => definition),
    world,
    eventBridge,
    hub,
    tokens,
    router,
    faults,
    requests: journal,
    status,
    stop,
  };
}

/** The hub's publisher with the EventBridge integration beside it: what a filter matches also goes to the queue. */
function withEventBridge(hub: NotificationHub, eventBridge: EmulatorEventBridge): NotificationPublisher {
  const { integration } = eventBridge;
  return {
    publish: (topic, body) => {
      hub.publish(topic, body);
      integration.offer(topic, body);
    },
    subscribed: (topic) => hub.subscribed(topic) || integration.filterOf(topic) !== undefined,
    detailEventsWanted: () => integration.wantsDetailEvents(),
  };
}

/** Channel details for `/__emulator/channels` (ids included: this is the operator's view). */
function describeChannels(hub: NotificationHub): Record<string, unknown>[] {
  return [...hub.channels.all()].map((channel) => ({
    id: channel.id,
    clientId: channel.owner.clientId,
    tokenId: channel.owner.tokenId,
    connected: channel.connected,
    topics: channel.topics.size,
    createdAt: new Date(channel.createdAt).toISOString(),
    lastUsedAt: new Date(channel.lastUsedAt).toISOString(),
    expires: new Date(channel.expiresAt).toISOString(),
  }));
}
