/**
 * The one path every REST call takes, whether it comes from an SDK API class or from `request()`: bearer token,
 * a slot from the shared budget, the HTTP exchange, then the platform's verdict — 401 refreshes the token and
 * retries once, 429 pauses the whole budget for Retry-After and retries, 503 (and, when safe, 502/504 and network
 * failures) back off with full jitter — and finally a coded error for anything that is not 2xx.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { backoffDelay } from '../backoff.js';
import { NetworkError } from '../errors.js';
import { type RequestIdentity, toGenesysApiError, toRateLimitedError } from './error-mapping.js';
import { type HttpExchange, type HttpReply, sendHttp, type TransportError } from './http-transport.js';
import { linkSignals } from './linked-signal.js';
import { type BudgetPurpose, ClientClosedError, type RateBudget } from './rate-budget.js';
import {
  isIdempotent,
  isRetryableStatus,
  isRetryableTransport,
  type RetryOptions,
  retryAfterSeconds,
} from './retry-policy.js';
import { sleep } from './sleep.js';
import type { ClientCredentialsTokenProvider } from './token-provider.js';

export interface PipelineRequest {
  method: string;
  /** Absolute URL, query included. */
  url: string;
  headers?: Record<string, string>;
  body?: HttpExchange['body'];
  /** What the call is for: its place in the shared budget (default `other`). */
  purpose?: BudgetPurpose;
  /** Overrides the method/path rule for whether repeating this request is safe. */
  idempotent?: boolean;
  /** Per-attempt timeout; the client's default otherwise. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What the platform client's requests came to, counted since it was created. */
export interface RequestStats {
  /** Calls made (each may take several attempts). */
  requests: number;
  /** HTTP attempts sent. */
  attempts: number;
  succeeded: number;
  failed: number;
  /** 429 responses received. */
  rateLimited: number;
  /** Attempts that repeated an earlier one (after 401, 429, 5xx or a network failure). */
  retries: number;
}

export interface RequestPipelineOptions {
  tokens: ClientCredentialsTokenProvider;
  budget: RateBudget;
  retry: RetryOptions;
  timeoutMs: number;
  logger: Logger;
}

/** Auth, pacing, retries and error mapping around single HTTP exchanges. */
export class RequestPipeline {
  private readonly options: RequestPipelineOptions;
  private readonly closer = new AbortController();
  private readonly counters: RequestStats = {
    requests: 0,
    attempts: 0,
    succeeded: 0,
    failed: 0,
    rateLimited: 0,
    retries: 0,
  };

  constructor(options: RequestPipelineOptions) {
    this.options = options;
    // Every queued request listens on this signal; thousands may be queued at once.
    setMaxListeners(0, this.closer.signal);
  }

  /** Signal that aborts when the pipeline closes (for the token provider's own requests). */
  get closeSignal(): AbortSignal {
    return this.closer.signal;
  }

  /** Sends `request` through the pipeline; resolves with a 2xx reply or rejects with a coded error. */
  async execute(request: PipelineRequest): Promise<HttpReply> {
    this.counters.requests++;
    try {
      const reply = await this.run(request);
      this.counters.succeeded++;
      return reply;
    } catch (error) {
      this.counters.failed++;
      throw error;
    }
  }

  stats(): RequestStats {
    return { ...this.counters };
  }

  /** Aborts requests in flight and refuses new ones. */
  close(): void {
    if (!this.closer.signal.aborted) this.closer.abort(new ClientClosedError());
  }

  private async run(request: PipelineRequest): Promise<HttpReply> {
    const method = request.method.toUpperCase();
    const identity: RequestIdentity = { method, path: new URL(request.url).pathname };
    const linked = request.signal ? linkSignals([this.closer.signal, request.signal]) : undefined;
    try {
      return await this.attempts(request, method, identity, linked?.signal ?? this.closer.signal);
    } finally {
      linked?.dispose();
    }
  }

  private async attempts(
    request: PipelineRequest,
    method: string,
    identity: RequestIdentity,
    signal: AbortSignal,
  ): Promise<HttpReply> {
    const { tokens, budget, retry, logger } = this.options;
    const idempotent = request.idempotent ?? isIdempotent(method, identity.path, retry.idempotentRequests);
    let failures = 0;
    let rateLimitRetries = 0;
    let refreshedAfter401 = false;
    let front = false;

    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      if (attempt > 1) this.counters.retries++;
      // Token before slot: a failed token fetch must not spend a slot of the budget.
      const token = await tokens.getToken();
      const slot = await budget.acquire({ purpose: request.purpose ?? 'other', front, signal });
      front = true;
      const started = performance.now();
      this.counters.attempts++;
      let reply: HttpReply;
      try {
        reply = await sendHttp({
          url: request.url,
          method,
          headers: { ...request.headers, Authorization: `Bearer ${token}` },
          body: request.body,
          timeoutMs: request.timeoutMs ?? this.options.timeoutMs,
          signal,
        });
      } catch (error) {
        slot.release();
        if (signal.aborted) throw signal.reason;
        const failure = error as TransportError;
        failures++;
        logger.debug(
          { ...identity, error: failure.kind, durationMs: Math.round(performance.now() - started), attempt },
          'platform request failed without a response',
        );
        const retryable = isRetryableTransport(failure, idempotent);
        if (retryable && failures < retry.maxAttempts) {
          await sleep(backoffDelay(failures, retry), signal);
          continue;
        }
        throw new NetworkError(
          `${method} ${identity.path}: ${failure.message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`,
          identity,
          {
            hint: retryable
              ? 'Check network access to the region (and the region setting); the request was retried with backoff.'
              : 'Check network access to the region. Not retried: the request may have reached the platform, and repeating it could duplicate its effect.',
            cause: error,
          },
        );
      }
      budget.observe(reply.headers);
      slot.release();
      logger.debug(
        {
          ...identity,
          status: reply.status,
          durationMs: Math.round(performance.now() - started),
          correlationId: reply.headers['inin-correlation-id'],
          attempt,
        },
        'platform request',
      );
      if (reply.status >= 200 && reply.status < 300) return reply;

      if (reply.status === 401 && !refreshedAfter401) {
        refreshedAfter401 = true;
        tokens.invalidate(token);
        continue;
      }
      if (reply.status === 429) {
        this.counters.rateLimited++;
        const asked = retryAfterSeconds(reply.headers, reply.body);
        if (asked !== undefined && asked * 1000 > retry.maxRetryAfterMs) {
          throw toRateLimitedError(
            reply,
            identity,
            asked,
            `the platform asked to wait ${asked} s, more than the ${retry.maxRetryAfterMs / 1000} s this client waits`,
          );
        }
        if (rateLimitRetries >= retry.maxRateLimitRetries) {
          throw toRateLimitedError(
            reply,
            identity,
            asked,
            `still rate limited after ${rateLimitRetries} retries`,
          );
        }
        rateLimitRetries++;
        const waitMs =
          asked !== undefined
            ? asked * 1000
            : Math.min(retry.maxRetryAfterMs, retry.defaultRetryAfterMs * 2 ** (rateLimitRetries - 1));
        budget.pause(waitMs);
        continue;
      }
      if (isRetryableStatus(reply.status, idempotent)) {
        failures++;
        if (failures < retry.maxAttempts) {
          await sleep(backoffDelay(failures, retry), signal);
          continue;
        }
      }
      throw toGenesysApiError(reply, identity);
    }
  }
}
