/**
 * Access tokens issued by the emulator's OAuth endpoint. A token is opaque to the client; here it maps to the
 * client it was issued to, its expiry and whether it was revoked. Listeners learn when tokens end, so that the
 * notification channels they created can end with them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { RegisteredClient } from './clients.js';

/** One issued token. */
export interface TokenRecord {
  /** Internal id (never the secret token string); channels remember it. */
  tokenId: string;
  clientId: string;
  permissions: ReadonlySet<string>;
  userId?: string;
  issuedAt: number;
  expiresAt: number;
  revokedAt?: number;
}

/** Outcome of presenting a bearer token. */
export type TokenCheck =
  | { status: 'valid'; record: TokenRecord }
  | { status: 'expired'; record: TokenRecord }
  | { status: 'revoked'; record: TokenRecord }
  | { status: 'unknown' };

/** Why a token ended, as told to listeners. */
export type TokenEndReason = 'revoked' | 'expired';

export type TokenEndListener = (records: TokenRecord[], reason: TokenEndReason) => void;

/** Which tokens an operation applies to; no field means all of them. */
export interface TokenSelector {
  clientId?: string;
  tokenId?: string;
}

/** Issues, checks, expires and revokes tokens. */
export class TokenStore {
  private readonly byToken = new Map<string, TokenRecord>();
  private readonly byId = new Map<string, TokenRecord>();
  private readonly listeners: TokenEndListener[] = [];

  constructor(
    private lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Issues a token for a client; returns the secret string and its record. */
  issue(client: RegisteredClient): { accessToken: string; record: TokenRecord; expiresIn: number } {
    const issuedAt = this.now();
    const record: TokenRecord = {
      tokenId: randomUUID(),
      clientId: client.clientId,
      permissions: client.permissionSet,
      issuedAt,
      expiresAt: issuedAt + this.lifetimeSeconds * 1000,
    };
    if (client.userId !== undefined) record.userId = client.userId;
    const accessToken = randomBytes(48).toString('base64url');
    this.byToken.set(accessToken, record);
    this.byId.set(record.tokenId, record);
    return { accessToken, record, expiresIn: Math.max(1, Math.round(this.lifetimeSeconds)) };
  }

  /** Looks a bearer token up. */
  check(accessToken: string): TokenCheck {
    const record = this.byToken.get(accessToken);
    if (!record) return { status: 'unknown' };
    if (record.revokedAt !== undefined) return { status: 'revoked', record };
    if (record.expiresAt <= this.now()) return { status: 'expired', record };
    return { status: 'valid', record };
  }

  getById(tokenId: string): TokenRecord | undefined {
    return this.byId.get(tokenId);
  }

  /** Changes the lifetime of tokens issued from now on. */
  setLifetimeSeconds(seconds: number): void {
    this.lifetimeSeconds = seconds;
  }

  /** Revokes live tokens matching the selector; returns them. */
  revoke(selector: TokenSelector = {}): TokenRecord[] {
    const now = this.now();
    const revoked = this.live(selector);
    for (const record of revoked) record.revokedAt = now;
    if (revoked.length > 0) this.emit(revoked, 'revoked');
    return revoked;
  }

  /** Makes live tokens matching the selector expire now (they answer `credentials.expired` from then on). */
  expire(selector: TokenSelector = {}): TokenRecord[] {
    const now = this.now();
    const expired = this.live(selector);
    for (const record of expired) record.expiresAt = now;
    if (expired.length > 0) this.emit(expired, 'expired');
    return expired;
  }

  /** Registers a listener for tokens that end early (revoked, expired by a fault). */
  onEnd(listener: TokenEndListener): void {
    this.listeners.push(listener);
  }

  /** Counts of tokens by state. */
  counts(): { active: number; expired: number; revoked: number } {
    const now = this.now();
    let active = 0;
    let expired = 0;
    let revoked = 0;
    for (const record of this.byId.values()) {
      if (record.revokedAt !== undefined) revoked++;
      else if (record.expiresAt <= now) expired++;
      else active++;
    }
    return { active, expired, revoked };
  }

  private live(selector: TokenSelector): TokenRecord[] {
    const now = this.now();
    return [...this.byId.values()].filter(
      (record) =>
        record.revokedAt === undefined &&
        record.expiresAt > now &&
        (selector.clientId === undefined || record.clientId === selector.clientId) &&
        (selector.tokenId === undefined || record.tokenId === selector.tokenId),
    );
  }

  private emit(records: TokenRecord[], reason: TokenEndReason): void {
    for (const listener of this.listeners) listener(records, reason);
  }
}
