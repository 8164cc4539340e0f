/**
 * Settings of the emulator's shell and Notification API: the platform limits it enforces and the timings it keeps.
 * Defaults follow what the real platform does (GENESYS.md §1–3); tests shorten the timings instead of sleeping.
 */
import { ConfigError } from '../errors.js';

/** Settings of the HTTP/WebSocket shell and the Notification API. */
export interface EmulatorSettings {
  /** How often an idle socket receives `WebSocket Heartbeat` (the platform: about 30 s). */
  heartbeatIntervalMs: number;
  /** How long a notification channel lives after creation (the platform: 24 h). */
  channelLifetimeMs: number;
  /** `expires_in` of issued tokens. */
  tokenLifetimeSeconds: number;
  /** Requests per token per fixed one-minute window. */
  rateLimitPerMinute: number;
  /** Length of the rate-limit window; one minute on the platform. */
  rateLimitWindowMs: number;
  /** `fixed` windows, as the platform counts; `sliding` to hold a client to any span of the window's length. */
  rateLimitMode: 'fixed' | 'sliding';
  /** Channels per OAuth client (+ user); creating one more evicts the least recently used. */
  maxChannelsPerClient: number;
  /** Topics one channel may hold. */
  maxTopicsPerChannel: number;
  /** Longest topic name, combined form included. */
  maxTopicNameLength: number;
  /** Largest request body accepted. */
  maxBodyBytes: number;
  /** Delay between `v2.system.socket_closing` and the close, when a fault does not say. */
  socketClosingDelayMs: number;
  /** A socket whose unsent backlog passes this is cut, as the platform cuts consumers that cannot keep up. */
  maxSocketBufferBytes: number;
  /** Host (and port) put into `connectUri`, or a base such as `wss://streaming.example`; default: the Host header. */
  publicHost: string | undefined;
  /** Organisation id reported in system messages and token info. */
  organizationId: string;
}

export const DEFAULT_SETTINGS: Readonly<EmulatorSettings> = Object.freeze({
  heartbeatIntervalMs: 30_000,
  channelLifetimeMs: 24 * 60 * 60 * 1000,
  tokenLifetimeSeconds: 86_400,
  rateLimitPerMinute: 300,
  rateLimitWindowMs: 60_000,
  rateLimitMode: 'fixed',
  maxChannelsPerClient: 20,
  maxTopicsPerChannel: 1_000,
  maxTopicNameLength: 200,
  maxBodyBytes: 512_000,
  socketClosingDelayMs: 60_000,
  maxSocketBufferBytes: 64 * 1024 * 1024,
  publicHost: undefined,
  organizationId: '7f3c5a9e-2b1d-4e8f-9a6c-0d4b8e2f1a37',
});

const POSITIVE_NUMBERS = [
  'heartbeatIntervalMs',
  'channelLifetimeMs',
  'tokenLifetimeSeconds',
  'rateLimitPerMinute',
  'rateLimitWindowMs',
  'maxChannelsPerClient',
  'maxTopicsPerChannel',
  'maxTopicNameLength',
  'maxBodyBytes',
  'maxSocketBufferBytes',
] as const satisfies readonly (keyof EmulatorSettings)[];

/** Fills in defaults and rejects settings that cannot work (a zero heartbeat, a negative limit, ...). */
export function resolveSettings(overrides: Partial<EmulatorSettings> = {}): EmulatorSettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const settings: EmulatorSettings = { ...DEFAULT_SETTINGS, ...defined };
  for (const key of POSITIVE_NUMBERS) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`Emulator setting ${key} must be a positive number, got ${String(value)}.`, {
        hint: `Leave ${key} unset for the default (${DEFAULT_SETTINGS[key]}).`,
      });
    }
  }
  if (settings.rateLimitMode !== 'fixed' && settings.rateLimitMode !== 'sliding') {
    throw new ConfigError(
      `Emulator setting rateLimitMode must be fixed or sliding, got ${String(settings.rateLimitMode)}.`,
    );
  }
  if (!Number.isFinite(settings.socketClosingDelayMs) || settings.socketClosingDelayMs < 0) {
    throw new ConfigError('Emulator setting socketClosingDelayMs must be zero or more.');
  }
  return settings;
}

/** The keys of {@link EmulatorSettings}, to tell them apart from world settings in a mixed options object. */
export const SETTING_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_SETTINGS));
