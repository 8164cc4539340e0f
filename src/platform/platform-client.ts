/**
 * The platform client: the official SDK's typed API classes and a raw `request()`, both sending through one
 * pipeline (token, shared budget, retries, coded errors, redacted logs). The rest of Switchboard talks to Genesys
 * Cloud only through this object.
 */
import type { Logger } from 'pino';
import { MissingCredentialsError } from '../errors.js';
import { silentLogger } from '../logging.js';
import type { HttpExchange } from './http-transport.js';
import { ENV_CLIENT_ID, ENV_CLIENT_SECRET } from './platform-settings.js';
import { describeProxy } from './proxy.js';
import {
  type BudgetPurpose,
  type BudgetState,
  ClientClosedError,
  type GrantListener,
  RateBudget,
  type RateBudgetOptions,
} from './rate-budget.js';
import { type ResolvedRegion, resolveRegion } from './region.js';
import { RequestPipeline, type RequestStats } from './request-pipeline.js';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from './retry-policy.js';
import { createSdkApiClient, type SdkApiClient, sdk } from './sdk.js';
import { PipelineHttpClient } from './sdk-http-client.js';
import { ClientCredentialsTokenProvider } from './token-provider.js';

export type NotificationsApi = InstanceType<typeof sdk.NotificationsApi>;
export type ConversationsApi = InstanceType<typeof sdk.ConversationsApi>;
export type AnalyticsApi = InstanceType<typeof sdk.AnalyticsApi>;
export type RoutingApi = InstanceType<typeof sdk.RoutingApi>;
export type UsersApi = InstanceType<typeof sdk.UsersApi>;
export type ExternalContactsApi = InstanceType<typeof sdk.ExternalContactsApi>;
export type OrganizationApi = InstanceType<typeof sdk.OrganizationApi>;

export interface PlatformClientOptions {
  /** Region domain, SDK name, API host or base URL — or an already resolved region. */
  region: string | ResolvedRegion;
  clientId: string;
  clientSecret: string;
  /** Where request lines go (debug level); silent by default. */
  logger?: Logger;
  /** Per-attempt timeout in ms (default 15,000). */
  timeoutMs?: number;
  /** The shared request budget (default 300 per 60 s, adjusted from the platform's headers). */
  rateLimit?: RateBudgetOptions;
  retry?: Partial<RetryOptions>;
  /** Refresh the token this long before it expires (default 10 min, at most half its lifetime). */
  tokenRefreshMarginMs?: number;
}

export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | ReadonlyArray<string | number | boolean>;

/** A raw REST call for anything the SDK lacks or gets wrong. */
export interface PlatformRequest {
  method: string;
  /** Path under the API base, e.g. `/api/v2/notifications/channels`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** JSON-serialised unless a string, bytes, URLSearchParams or FormData. */
  body?: unknown;
  headers?: Record<string, string>;
  /** What the call is for: its place in the shared budget (default `other`). */
  purpose?: BudgetPurpose;
  /** Overrides the method/path rule for whether repeating this request is safe. */
  idempotent?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PlatformResponse<T> {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  /** Parsed JSON, text, or `undefined` for an empty body. */
  body: T;
}

/** Counters for metrics. */
export interface PlatformClientStats extends RequestStats {
  tokenRequests: number;
  budget: BudgetState;
  /** Epoch ms at which the current token expires, if one is held. */
  tokenExpiresAt: number | undefined;
}

export interface PlatformClient {
  readonly region: ResolvedRegion;
  /** The SDK ApiClient of this client (not the SDK's global singleton). */
  readonly apiClient: SdkApiClient;
  readonly notifications: NotificationsApi;
  readonly conversations: ConversationsApi;
  readonly analytics: AnalyticsApi;
  readonly routing: RoutingApi;
  readonly users: UsersApi;
  readonly externalContacts: ExternalContactsApi;
  readonly organization: OrganizationApi;
  readonly tokens: ClientCredentialsTokenProvider;
  /** Any other SDK API class, bound to this client: `client.api(sdk.OutboundApi)`. */
  api<C extends new (apiClient?: SdkApiClient) => object>(apiClass: C): InstanceType<C>;
  /** A raw call through the same pipeline as the SDK classes. */
  request<T = unknown>(request: PlatformRequest): Promise<PlatformResponse<T>>;
  stats(): PlatformClientStats;
  /** Calls `listener` with the purpose and wait of every budget grant (for a histogram); returns an unsubscribe. */
  onBudgetGrant(listener: GrantListener): () => void;
  /** Rejects queued calls, aborts calls in flight, stops timers. */
  close(): Promise<void>;
}

function encodeBody(body: unknown, headers: Record<string, string>): HttpExchange['body'] {
  if (body === undefined) return undefined;
  if (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  ) {
    return body;
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  return JSON.stringify(body);
}

function buildUrl(base: string, path: string, query: Record<string, QueryValue> | undefined): string {
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new TypeError(
      `request path must start with a single "/" (got "${path}"); the base URL comes from the region`,
    );
  }
  const url = new URL(`${base}${path}`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    const values: ReadonlyArray<string | number | boolean> = Array.isArray(value) ? value : [value];
    for (const item of values) url.searchParams.append(name, String(item));
  }
  return url.toString();
}

/** Creates a platform client. No network traffic until the first call. */
export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const region = typeof options.region === 'string' ? resolveRegion(options.region) : options.region;
  if (!options.clientId?.trim() || !options.clientSecret?.trim()) {
    throw new MissingCredentialsError('createPlatformClient needs a client id and a client secret', {
      hint: `Pass them, or load them with loadPlatformSettings() from ${ENV_CLIENT_ID} and ${ENV_CLIENT_SECRET}.`,
    });
  }
  const logger = options.logger ?? silentLogger();
  // Said once, at start, so an operator behind a corporate proxy sees which hosts go through it; an unusable proxy
  // variable is refused here rather than on the first request.
  const proxy = describeProxy(region);
  if (proxy) logger.info({ proxy: proxy.routes }, `network: ${proxy.line}`);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retry: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...options.retry };
  const budget = new RateBudget(options.rateLimit);
  const closer = new AbortController();
  const tokens = new ClientCredentialsTokenProvider({
    region,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    timeoutMs,
    retry,
    logger,
    signal: closer.signal,
    ...(options.tokenRefreshMarginMs !== undefined ? { refreshMarginMs: options.tokenRefreshMarginMs } : {}),
  });
  const pipeline = new RequestPipeline({ tokens, budget, retry, timeoutMs, logger });
  const apiClient = createSdkApiClient(region, new PipelineHttpClient(pipeline));
  const api = <C extends new (apiClient?: SdkApiClient) => object>(apiClass: C): InstanceType<C> =>
    new apiClass(apiClient) as InstanceType<C>;

  return {
    region,
    apiClient,
    notifications: new sdk.NotificationsApi(apiClient),
    conversations: new sdk.ConversationsApi(apiClient),
    analytics: new sdk.AnalyticsApi(apiClient),
    routing: new sdk.RoutingApi(apiClient),
    users: new sdk.UsersApi(apiClient),
    externalContacts: new sdk.ExternalContactsApi(apiClient),
    organization: new sdk.OrganizationApi(apiClient),
    tokens,
    api,

    async request<T = unknown>(request: PlatformRequest): Promise<PlatformResponse<T>> {
      const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
      const body = encodeBody(request.body, headers);
      const reply = await pipeline.execute({
        method: request.method,
        url: buildUrl(region.apiBaseUrl, request.path, request.query),
        headers,
        body,
        ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
        ...(request.idempotent !== undefined ? { idempotent: request.idempotent } : {}),
        ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return { status: reply.status, headers: reply.headers, body: reply.body as T };
    },

    stats(): PlatformClientStats {
      const token = tokens.stats();
      return {
        ...pipeline.stats(),
        tokenRequests: token.tokenRequests,
        budget: budget.state(),
        tokenExpiresAt: token.current?.expiresAt,
      };
    },

    onBudgetGrant(listener: GrantListener): () => void {
      return budget.onGrant(listener);
    },

    async close(): Promise<void> {
      closer.abort(new ClientClosedError());
      pipeline.close();
      budget.close();
    },
  };
}
