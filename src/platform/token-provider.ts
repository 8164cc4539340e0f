/**
 * Access tokens for a Client Credentials OAuth client: `POST {login}/oauth/token` with HTTP Basic credentials.
 * One token is cached and shared. Ahead of expiry it is refreshed in the background while callers keep using it;
 * without a usable token, concurrent callers share a single fetch.
 * Refused credentials fail fast with AuthenticationError (never a retry loop); 429, 5xx and network failures of
 * the token endpoint are retried a bounded number of times.
 */
import type { Logger } from 'pino';
import { backoffDelay, type RetrySettings } from '../backoff.js';
import { AuthenticationError, NetworkError } from '../errors.js';
import { toGenesysApiError } from './error-mapping.js';
import { type HttpReply, sendHttp, TransportError } from './http-transport.js';
import { ENV_CLIENT_ID, ENV_CLIENT_SECRET } from './platform-settings.js';
import type { ResolvedRegion } from './region.js';
import { DEFAULT_RETRY_OPTIONS, retryAfterSeconds } from './retry-policy.js';
import { sleep } from './sleep.js';

export interface TokenProviderOptions {
  region: ResolvedRegion;
  clientId: string;
  clientSecret: string;
  /** Start fetching a new token this long before the current one expires (default 10 min, at most half its life). */
  refreshMarginMs?: number;
  timeoutMs?: number;
  retry?: Partial<RetrySettings>;
  logger: Logger;
  /** Aborts token requests when the owning client closes. */
  signal?: AbortSignal;
}

/** What is known about a token, without its value (safe to log and to pass around). */
export interface TokenInfo {
  /** Epoch ms at which the platform will stop accepting the token. */
  expiresAt: number;
  /** Epoch ms at which it was obtained. */
  obtainedAt: number;
  expiresInSeconds: number;
  /** 1 for the first token of this provider, then +1 per new token. */
  generation: number;
}

interface CachedToken extends TokenInfo {
  value: string;
}

export interface TokenProviderStats {
  tokenRequests: number;
  tokensObtained: number;
  current: TokenInfo | undefined;
}

const OAUTH_PATH = '/oauth/token';
/** After a failed early refresh, wait this long before trying again in the background. */
const BACKGROUND_RETRY_MS = 5_000;

/** Client-credentials token source with caching, early refresh and single-flight. */
export class ClientCredentialsTokenProvider {
  private readonly options: TokenProviderOptions;
  private readonly retry: RetrySettings;
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private readonly listeners = new Set<(info: TokenInfo) => void>();
  private generation = 0;
  private tokenRequests = 0;
  private backgroundRetryAt = 0;

  constructor(options: TokenProviderOptions) {
    this.options = options;
    this.retry = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
  }

  /** A valid access token, fetching or refreshing it when needed. */
  async getToken(): Promise<string> {
    return (await this.obtain()).value;
  }

  /** The token's expiry and generation, fetching one when none is cached. */
  async getTokenInfo(): Promise<TokenInfo> {
    return this.info(await this.obtain());
  }

  /** The cached token's info, without fetching. */
  current(): TokenInfo | undefined {
    return this.cached ? this.info(this.cached) : undefined;
  }

  /** Drops the cached token if it is `token` (or whatever is cached when omitted): the platform refused it. */
  invalidate(token?: string): void {
    if (this.cached && (token === undefined || this.cached.value === token)) this.cached = undefined;
  }

  /** Fetches a new token now, whatever the cached one's age (shares a refresh already under way). */
  async refresh(): Promise<TokenInfo> {
    this.cached = undefined;
    return this.info(await this.obtain());
  }

  /** Calls `listener` whenever a new token is obtained. Returns the unsubscribe function. */
  onToken(listener: (info: TokenInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): TokenProviderStats {
    return { tokenRequests: this.tokenRequests, tokensObtained: this.generation, current: this.current() };
  }

  private info(token: CachedToken): TokenInfo {
    const { value: _value, ...info } = token;
    return info;
  }

  /** Past this point the token is due for an early refresh (still usable meanwhile). */
  private refreshDueAt(token: CachedToken): number {
    const lifetimeMs = token.expiresAt - token.obtainedAt;
    return token.expiresAt - Math.min(this.options.refreshMarginMs ?? 600_000, lifetimeMs / 2);
  }

  /** Past this point the token is no longer handed out: it could expire while a request is in flight. */
  private usableUntil(token: CachedToken): number {
    const lifetimeMs = token.expiresAt - token.obtainedAt;
    return token.expiresAt - Math.min(30_000, lifetimeMs / 4);
  }

  private obtain(): Promise<CachedToken> {
    const cached = this.cached;
    const now = Date.now();
    if (cached && now < this.usableUntil(cached)) {
      // Early refresh happens in the background: callers keep the current token and never wait for it.
      if (now >= this.refreshDueAt(cached) && !this.inflight && now >= this.backgroundRetryAt) {
        this.startFetch().catch((error: unknown) => {
          this.backgroundRetryAt = Date.now() + BACKGROUND_RETRY_MS;
          if (this.options.signal?.aborted) return;
          this.options.logger.warn(
            { err: error, expiresAt: new Date(cached.expiresAt).toISOString() },
            'early token refresh failed; the current token stays in use',
          );
        });
      }
      return Promise.resolve(cached);
    }
    return this.inflight ?? this.startFetch();
  }

  private startFetch(): Promise<CachedToken> {
    const fetching = this.fetchWithRetries().finally(() => {
      if (this.inflight === fetching) this.inflight = undefined;
    });
    this.inflight = fetching;
    return fetching;
  }

  private async fetchWithRetries(): Promise<CachedToken> {
    for (let attempt = 1; ; attempt++) {
      let reply: HttpReply;
      try {
        reply = await this.requestToken();
      } catch (error) {
        if (this.options.signal?.aborted) throw this.options.signal.reason;
        if (
          !(error instanceof TransportError) ||
          error.kind === 'aborted' ||
          attempt >= this.retry.maxAttempts
        ) {
          throw new NetworkError(
            `Cannot reach the OAuth server at ${this.options.region.loginBaseUrl}: ${(error as Error).message}`,
            { method: 'POST', path: OAUTH_PATH },
            { hint: 'Check the region setting and network access to it.', cause: error },
          );
        }
        await sleep(backoffDelay(attempt, this.retry), this.options.signal);
        continue;
      }
      if (reply.status >= 200 && reply.status < 300) return this.accept(reply);
      if (isRefusal(reply)) throw this.refusal(reply);
      const retryable = reply.status === 429 || reply.status >= 500;
      const waitSeconds = reply.status === 429 ? retryAfterSeconds(reply.headers, reply.body) : undefined;
      if (
        !retryable ||
        attempt >= this.retry.maxAttempts ||
        (waitSeconds !== undefined && waitSeconds * 1000 > this.retry.maxRetryAfterMs)
      ) {
        throw toGenesysApiError(reply, { method: 'POST', path: OAUTH_PATH }, waitSeconds);
      }
      await sleep(
        waitSeconds !== undefined ? waitSeconds * 1000 : backoffDelay(attempt, this.retry),
        this.options.signal,
      );
    }
  }

  private async requestToken(): Promise<HttpReply> {
    const { clientId, clientSecret, region, logger } = this.options;
    const basic = Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
    const started = performance.now();
    this.tokenRequests++;
    const reply = await sendHttp({
      url: `${region.loginBaseUrl}${OAUTH_PATH}`,
      method: 'POST',
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
      timeoutMs: this.options.timeoutMs ?? 15_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    logger.debug(
      {
        method: 'POST',
        path: OAUTH_PATH,
        status: reply.status,
        durationMs: Math.round(performance.now() - started),
        correlationId: reply.headers['inin-correlation-id'],
      },
      'oauth token request',
    );
    return reply;
  }

  private accept(reply: HttpReply): CachedToken {
    const body = reply.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    const value = body?.access_token;
    if (typeof value !== 'string' || value === '') {
      throw new AuthenticationError('The OAuth server answered without an access_token', {
        status: reply.status,
        hint: `Check that ${this.options.region.loginBaseUrl} is a Genesys Cloud login server.`,
      });
    }
    const expiresIn = typeof body?.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 86_400;
    const obtainedAt = Date.now();
    this.generation++;
    const token: CachedToken = {
      value,
      obtainedAt,
      expiresAt: obtainedAt + expiresIn * 1000,
      expiresInSeconds: expiresIn,
      generation: this.generation,
    };
    this.cached = token;
    this.options.logger.debug(
      { generation: token.generation, expiresInSeconds: expiresIn },
      'obtained an access token',
    );
    const info = this.info(token);
    for (const listener of this.listeners) {
      try {
        listener(info);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'token listener failed');
      }
    }
    return token;
  }

  private refusal(reply: HttpReply): AuthenticationError {
    const body = (reply.body ?? {}) as {
      error?: unknown;
      description?: unknown;
      error_description?: unknown;
    };
    const oauthError = typeof body.error === 'string' ? body.error : undefined;
    const description =
      typeof body.description === 'string'
        ? body.description
        : typeof body.error_description === 'string'
          ? body.error_description
          : undefined;
    const { region, clientId } = this.options;
    const where = region.custom ? region.loginBaseUrl : `${region.name} (${region.loginBaseUrl})`;
    return new AuthenticationError(
      `The OAuth server refused client ${clientId} with ${reply.status}` +
        `${oauthError ? ` ${oauthError}` : ''}${description ? `: ${description}` : ''}`,
      {
        status: reply.status,
        ...(oauthError ? { oauthError } : {}),
        hint:
          `Check ${ENV_CLIENT_ID} and ${ENV_CLIENT_SECRET}: they must belong to a Client Credentials OAuth client ` +
          `of an org in region ${where}; a client from another region is unknown there.`,
      },
    );
  }
}

/** 400/401/403 from the token endpoint: bad id, bad secret, disabled client or wrong grant. Not retryable. */
function isRefusal(reply: HttpReply): boolean {
  return reply.status === 400 || reply.status === 401 || reply.status === 403;
}
