/**
 * The SDK's pluggable HTTP client, implemented on our request pipeline: every call an SDK API class makes gets
 * the same token, pacing, retries and coded errors as `request()`.
 *
 * The SDK's `ApiClient.callApi` hands us `HttpRequestOptions {url, method, headers, params, data}` and expects
 * `{status, statusText, headers, data}` back, resolving with `data` (or `text` when `data` is empty). On
 * rejection it unwraps `error.response.data` when the error has a `.response`; our errors have none, so the
 * caller receives our GenesysApiError itself.
 *
 * Per call, through the SDK's `opts.customHeaders`: `X-Switchboard-Purpose: <purpose>` sets the budget purpose and
 * `X-Switchboard-Idempotent: true|false` overrides the retry-safety rule. Neither is sent to the platform.
 */
import type { HttpExchange } from './http-transport.js';
import { BUDGET_PURPOSES, type BudgetPurpose } from './rate-budget.js';
import type { RequestPipeline } from './request-pipeline.js';
import { type SdkHttpRequestOptions, sdk } from './sdk.js';

/** What the SDK's callApi reads from a response. */
export interface SdkHttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  data: unknown;
  text: string | undefined;
}

export const PURPOSE_HEADER = 'x-switchboard-purpose';
export const IDEMPOTENT_HEADER = 'x-switchboard-idempotent';

function isBinaryOrForm(data: unknown): data is string | Uint8Array | URLSearchParams | FormData {
  return (
    typeof data === 'string' ||
    data instanceof Uint8Array ||
    data instanceof URLSearchParams ||
    data instanceof FormData
  );
}

/** Serialises the SDK's `data` the way its Content-Type says. */
export function encodeSdkBody(data: unknown, headers: Record<string, string>): HttpExchange['body'] {
  if (data === undefined || data === null) return undefined;
  if (data instanceof FormData) {
    // fetch writes the multipart boundary itself.
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type') delete headers[name];
    return data;
  }
  if (isBinaryOrForm(data)) return data;
  const contentType =
    Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (/x-www-form-urlencoded/i.test(contentType)) {
    return new URLSearchParams(
      Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, String(v)] as [string, string]),
    );
  }
  return JSON.stringify(data);
}

/** Appends the SDK's already-serialised query parameters to `url`. */
export function appendQuery(url: string, params: Record<string, unknown> | undefined): string {
  if (!params) return url;
  const target = new URL(url);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) target.searchParams.append(name, String(item));
    else target.searchParams.append(name, String(value));
  }
  return target.toString();
}

function purposeOf(value: string): BudgetPurpose {
  return (BUDGET_PURPOSES as readonly string[]).includes(value) ? (value as BudgetPurpose) : 'other';
}

/** An SDK `AbstractHttpClient` that sends through a RequestPipeline (install with `apiClient.setHttpClient`). */
export class PipelineHttpClient extends sdk.AbstractHttpClient {
  private readonly pipeline: RequestPipeline;

  constructor(pipeline: RequestPipeline) {
    super();
    this.pipeline = pipeline;
  }

  /** Called by the SDK for every API call. */
  async request(options: SdkHttpRequestOptions): Promise<SdkHttpResponse> {
    const headers: Record<string, string> = {};
    let purpose: BudgetPurpose | undefined;
    let idempotent: boolean | undefined;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      // The SDK adds its own bearer when someone set one on it; the pipeline supplies ours.
      if (lower === 'authorization') continue;
      if (lower === PURPOSE_HEADER) purpose = purposeOf(String(value));
      else if (lower === IDEMPOTENT_HEADER) idempotent = String(value).toLowerCase() === 'true';
      else headers[name] = String(value);
    }
    const body = encodeSdkBody(options.data, headers);
    if (body === undefined) {
      for (const name of Object.keys(headers))
        if (name.toLowerCase() === 'content-type') delete headers[name];
    }
    const reply = await this.pipeline.execute({
      method: options.method,
      url: appendQuery(options.url, options.params),
      headers,
      body,
      ...(purpose !== undefined ? { purpose } : {}),
      ...(idempotent !== undefined ? { idempotent } : {}),
    });
    return {
      status: reply.status,
      statusText: reply.statusText,
      headers: reply.headers,
      data: reply.body,
      text: typeof reply.body === 'string' ? reply.body : undefined,
    };
  }

  /** Pre/post hooks are not supported: the pipeline is the hook (it owns auth, pacing, retries and logging). */
  enableHooks(): void {
    throw new Error(
      'PipelineHttpClient does not support SDK pre/post hooks; use the platform client instead.',
    );
  }
}
