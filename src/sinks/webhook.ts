/**
 * The webhook sink: one HTTP POST per event, the body being the event itself as JSON, signed with HMAC-SHA256
 * (see signature.ts for the headers and the verification recipe).
 *
 * One event per request keeps receivers simple (dedupe on `id`, also in `X-Switchboard-Event-Id`) and lets events
 * of different conversations go out in parallel while each conversation stays in order. Network errors, timeouts,
 * 408, 429 and 5xx are retried with backoff and jitter (429/503 after their Retry-After); other 4xx and redirects
 * are refused for good and counted as failed. Neither request nor response bodies are ever logged.
 *
 *   webhook:https://example.test/hook?secret=env:HOOK_SECRET&timeoutMs=5000
 *
 * Options: `secret`, `timeoutMs`, `concurrency`. The secret must come from the environment (`secret=env:NAME`), so
 * it never sits in shell history, process lists or logs. Query parameters of the URL that are not options stay
 * part of the URL.
 */
import { z } from 'zod';
import { text } from '../config/settings-schema.js';
import { ConfigError } from '../errors.js';
import type { LifecycleEvent } from '../events.js';
import { parseRetryAfter } from '../platform/retry-policy.js';
import { DeliveryError } from './errors.js';
import {
  COMMON_SINK_SETTINGS,
  COMMON_SPEC_OPTIONS,
  type CommonSinkConfig,
  readCommonOptions,
  type SinkKind,
  wholeNumber,
} from './kind.js';
import { QueuedSink, type QueuedSinkOptions } from './queued-sink.js';
import {
  ATTEMPT_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
} from './signature.js';
import type { DeliveryContext, SinkTransport } from './types.js';

/** Settings of the webhook sink. */
export interface WebhookSinkSettings {
  url: string;
  /** HMAC key shared with the receiver. */
  secret: string;
  /** Per-request timeout, in ms. */
  timeoutMs: number;
  /** Extra request headers (e.g. an API key the receiver wants); never logged. */
  headers?: Record<string, string>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

const USER_AGENT = 'genesys-switchboard';

/** POSTs each event, signed. */
export class WebhookTransport implements SinkTransport {
  readonly kind = 'webhook';
  /** Origin and path only: query strings may carry tokens. */
  readonly target: string;
  private readonly settings: WebhookSinkSettings;

  constructor(
    settings: Partial<WebhookSinkSettings> & { url: string; secret: string },
    private readonly now: () => number = Date.now,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
  ) {
    this.settings = { timeoutMs: DEFAULT_WEBHOOK_TIMEOUT_MS, ...settings };
    this.target = describeUrl(settings.url);
  }

  async deliver(events: readonly LifecycleEvent[], context: DeliveryContext): Promise<void> {
    for (const event of events) await this.post(event, context);
  }

  private async post(event: LifecycleEvent, context: DeliveryContext): Promise<void> {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(this.now() / 1000);
    const headers: Record<string, string> = {
      ...this.settings.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [EVENT_ID_HEADER]: event.id,
      [EVENT_TYPE_HEADER]: event.type,
      [ATTEMPT_HEADER]: String(context.attempt),
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: signWebhookBody(this.settings.secret, timestamp, body),
    };
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = AbortSignal.any([timeout, context.signal]);
    let response: Response;
    try {
      response = await this.fetchImpl(this.settings.url, {
        method: 'POST',
        headers,
        body,
        signal,
        redirect: 'manual',
      });
      // Read and discard the answer so the connection can be reused; its content is not ours to log.
      await response.arrayBuffer();
    } catch (error) {
      if (timeout.aborted) {
        throw new DeliveryError(`POST ${this.target} timed out after ${this.settings.timeoutMs} ms`, {
          retryable: true,
          code: 'webhook_timeout',
        });
      }
      if (context.signal.aborted) {
        throw new DeliveryError(`POST ${this.target} aborted: sink closing`, {
          retryable: false,
          code: 'webhook_aborted',
        });
      }
      throw new DeliveryError(`POST ${this.target} failed: ${networkCause(error)}`, {
        retryable: true,
        code: 'webhook_network_error',
      });
    }
    const { status } = response;
    if (status >= 200 && status < 300) return;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
      throw new DeliveryError(`POST ${this.target} answered ${status}`, {
        retryable: true,
        status,
        code: 'webhook_unavailable',
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    throw new DeliveryError(`POST ${this.target} refused the event with ${status}`, {
      retryable: false,
      status,
      code: 'webhook_rejected',
    });
  }
}

/** `scheme://host[:port]/path`, without credentials or query: safe to log. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error) return error.name;
  return 'unknown error';
}

/** Options of {@link createWebhookSink}. */
export type WebhookSinkOptions = Omit<QueuedSinkOptions, 'transport' | 'name'> &
  Partial<WebhookSinkSettings> & {
    url: string;
    secret: string;
    name?: string;
    /** Replaces the global fetch (e.g. to add a proxy agent). */
    fetch?: typeof fetch;
  };

/** A sink POSTing each event to a URL, signed, in order per conversation, several conversations at once. */
export function createWebhookSink(options: WebhookSinkOptions): QueuedSink {
  const { url, secret, timeoutMs, headers, fetch: fetchImpl, name, ...rest } = options;
  const transport = new WebhookTransport(
    { url, secret, timeoutMs: timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, ...(headers ? { headers } : {}) },
    options.now,
    fetchImpl,
  );
  return new QueuedSink({
    ...rest,
    name: name ?? `webhook:${describeUrl(url)}`,
    ordering: 'conversation',
    batchSize: 1,
    transport,
  });
}

/** The webhook sink described as data. */
export interface WebhookSinkConfig extends CommonSinkConfig {
  kind: 'webhook';
  url: string;
  secret: string;
  timeoutMs?: number;
  concurrency?: number;
  headers?: Record<string, string>;
}

const WEBHOOK_EXAMPLE = 'webhook:https://example.test/hook?secret=env:HOOK_SECRET';

/** The `webhook` kind: `webhook:https://host/path?secret=env:NAME[&timeoutMs=&concurrency=]`. */
export const webhookSink: SinkKind<WebhookSinkConfig> = {
  kind: 'webhook',
  usage: 'webhook:url?secret=env:NAME',
  options: ['secret', 'timeoutMs', 'concurrency'],

  parseSpec(body, env) {
    let url: URL;
    try {
      url = new URL(body);
    } catch {
      throw new ConfigError('The webhook sink needs an absolute http(s) URL.', {
        hint: `For example: ${WEBHOOK_EXAMPLE}`,
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(`The webhook URL must use http or https, not ${url.protocol}`);
    }
    const shown = `webhook:${describeUrl(url.href)}`;
    // The sink's options are taken out of the URL; any other query parameter is the receiver's.
    const options = new URLSearchParams();
    for (const key of [...COMMON_SPEC_OPTIONS, ...webhookSink.options]) {
      for (const value of url.searchParams.getAll(key)) options.append(key, value);
      url.searchParams.delete(key);
    }
    const secretRef = options.get('secret');
    if (secretRef === null) {
      throw new ConfigError(`${shown}: a signing secret is required.`, {
        hint: 'Add secret=env:NAME and put the secret in that environment variable.',
      });
    }
    if (!secretRef.startsWith('env:') || secretRef.length === 4) {
      // Never echo the value: it may be the secret itself.
      throw new ConfigError(`${shown}: the secret must name an environment variable (secret=env:NAME).`, {
        hint: 'A secret written in the spec would end up in shell history and process lists.',
      });
    }
    const variable = secretRef.slice(4);
    const secret = env[variable];
    if (!secret) {
      throw new ConfigError(
        `${shown}: environment variable ${variable} (the signing secret) is not set or empty.`,
        {
          hint: `Export ${variable} before starting.`,
        },
      );
    }
    const config: WebhookSinkConfig = {
      kind: 'webhook',
      url: url.href,
      secret,
      ...readCommonOptions(options, shown),
    };
    const timeoutMs = wholeNumber(options, 'timeoutMs', shown, 1);
    if (timeoutMs !== undefined) config.timeoutMs = timeoutMs;
    const concurrency = wholeNumber(options, 'concurrency', shown, 1);
    if (concurrency !== undefined) config.concurrency = concurrency;
    return config;
  },

  schema: z.strictObject({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, message: 'expected an absolute http(s) URL' }),
    /** Signing secret: write `env:NAME` or `${NAME}`, never the secret itself. */
    secret: text,
    timeoutMs: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    ...COMMON_SINK_SETTINGS,
  }),

  defaultName: (config) => `webhook:${describeUrl(config.url)}`,
  describe(config) {
    const url = new URL(config.url);
    return `webhook ${url.origin}${url.pathname}`;
  },

  create(config, basics) {
    if (!config.secret) throw new ConfigError(`Sink "${basics.name}": the webhook secret is empty.`);
    return createWebhookSink({
      ...basics,
      url: config.url,
      secret: config.secret,
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
      ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
      ...(config.headers ? { headers: config.headers } : {}),
    });
  },
};
