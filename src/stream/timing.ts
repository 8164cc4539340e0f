/** Every interval a channel connection works with, in one place, with the platform's figures as defaults. */

import type { BackoffSettings } from '../backoff.js';
import { ConfigError } from '../errors.js';

/** A channel's reconnect backoff. */
export interface ReconnectBackoff extends BackoffSettings {
  /** Source of randomness in [0, 1); injectable so the waits can be checked exactly. */
  random?: () => number;
}

export interface ConnectionTiming {
  /** The server's heartbeat interval (about 30 s observed; not documented, hence a setting). */
  heartbeatIntervalMs: number;
  /** Quiet time after which the client sends `{"message":"ping"}` (default: 1.2 heartbeat intervals). */
  pingAfterMs: number;
  /** Quiet time, in heartbeat intervals, after which the socket is declared stale (default 2.5). */
  watchdogMultiple: number;
  /** Time allowed for a WebSocket opening handshake (default 10 s). */
  connectTimeoutMs: number;
  /** Reconnect waits (default: full jitter under 0.5 s doubling up to 15 s). */
  backoff: ReconnectBackoff;
  /** A socket that stayed open this long resets the backoff (default: two heartbeat intervals). */
  stableAfterMs: number;
  /** Rotate to a fresh channel this long before the channel or its token expires (default 10 min). */
  rotateBeforeMs: number;
  /** Random extra lead for rotations, so channels created together do not rotate together (default 60 s). */
  rotationJitterMs: number;
  /** Never rotate a channel younger than this, whatever the expiries say (default 60 s). */
  minChannelLifeMs: number;
  /** Channel lifetime assumed when the platform gives no `expires` (default 24 h). */
  channelLifetimeMs: number;
  /** Failed attempts after which the very first connection gives up and reports why (default 5). */
  startAttempts: number;
  /** Failed attempts after which a change of topics is reported as not applied (default 5; the change stays wanted). */
  subscribeAttempts: number;
  /** Wait after a failed rotation before trying again (default 30 s). */
  rotationRetryMs: number;
  /** How long a hand-over waits for a free channel of the budget (default 30 s). */
  handoverBudgetWaitMs: number;
}

/** Timing as a caller gives it: any interval, and any part of the backoff; the rest are the defaults. */
export type ConnectionTimingOptions = Partial<Omit<ConnectionTiming, 'backoff'>> & {
  backoff?: Partial<ReconnectBackoff>;
};

export const DEFAULT_TIMING: ConnectionTiming = {
  heartbeatIntervalMs: 30_000,
  pingAfterMs: 36_000,
  watchdogMultiple: 2.5,
  connectTimeoutMs: 10_000,
  backoff: { initialDelayMs: 500, maxDelayMs: 15_000 },
  stableAfterMs: 60_000,
  rotateBeforeMs: 10 * 60_000,
  rotationJitterMs: 60_000,
  minChannelLifeMs: 60_000,
  channelLifetimeMs: 24 * 3600_000,
  startAttempts: 5,
  subscribeAttempts: 5,
  rotationRetryMs: 30_000,
  handoverBudgetWaitMs: 30_000,
};

/** Fills in defaults; intervals derived from the heartbeat follow it when only the heartbeat is given. */
export function resolveTiming(partial: ConnectionTimingOptions = {}): ConnectionTiming {
  const heartbeatIntervalMs = partial.heartbeatIntervalMs ?? DEFAULT_TIMING.heartbeatIntervalMs;
  const timing: ConnectionTiming = {
    ...DEFAULT_TIMING,
    pingAfterMs: heartbeatIntervalMs * 1.2,
    stableAfterMs: heartbeatIntervalMs * 2,
    ...partial,
    heartbeatIntervalMs,
    backoff: { ...DEFAULT_TIMING.backoff, ...partial.backoff },
  };
  if (!(timing.heartbeatIntervalMs > 0)) throw new ConfigError('heartbeatIntervalMs must be positive');
  if (!(timing.watchdogMultiple >= 1)) {
    throw new ConfigError(`watchdogMultiple must be at least 1, got ${timing.watchdogMultiple}`, {
      hint: 'The watchdog allows this many heartbeat intervals of silence before it reconnects; 2 to 3 is usual.',
    });
  }
  return timing;
}

/** Silence after which a socket is presumed dead. */
export function staleAfterMs(timing: ConnectionTiming): number {
  return timing.heartbeatIntervalMs * timing.watchdogMultiple;
}

/** What is known of a channel's life for planning its rotation (epoch ms). */
export interface ChannelLife {
  createdAt: number;
  expiresAt: number;
  /** Expiry of the token that created the channel: the channel dies with it. */
  tokenExpiresAt: number | undefined;
}

/**
 * When to rotate a channel, and why: `rotateBeforeMs` (plus up to `rotationJitterMs`) ahead of whichever comes
 * first, the channel's expiry or its token's, but never before `minChannelLifeMs` — a token about to expire
 * would otherwise make every fresh channel rotate at once.
 */
export function planRotation(
  life: ChannelLife,
  timing: ConnectionTiming,
  now = Date.now(),
  random: () => number = Math.random,
): { delayMs: number; reason: 'rotation' | 'token-expiry' } {
  const tokenFirst = life.tokenExpiresAt !== undefined && life.tokenExpiresAt < life.expiresAt;
  const deadline = tokenFirst ? life.tokenExpiresAt! : life.expiresAt;
  const target = deadline - timing.rotateBeforeMs - random() * timing.rotationJitterMs;
  const at = Math.max(target, life.createdAt + timing.minChannelLifeMs, now);
  // setTimeout cannot wait longer than 2^31-1 ms (about 24.8 days).
  return { delayMs: Math.min(at - now, 2 ** 31 - 1), reason: tokenFirst ? 'token-expiry' : 'rotation' };
}
