/**
 * Every error Switchboard raises on purpose carries a stable string `code` (one class per code), a message that
 * says what happened, and a `hint` that says what to do about it. Callers branch on `code`, never on message text;
 * `docs/troubleshooting.md` lists every code.
 */

export interface SwitchboardErrorOptions {
  hint?: string;
  cause?: unknown;
}

/** Base class of all Switchboard errors. */
export class SwitchboardError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: SwitchboardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** Message plus hint, as printed to an operator. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, hint: this.hint };
  }
}

/** A setting is missing, malformed or contradicts another one. Raised at start, never mid-run. */
export class ConfigError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super('config_invalid', message, options);
  }
}

/** The region given is neither a known Genesys Cloud region nor a usable base URL. */
export class UnknownRegionError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super('region_unknown', message, options);
  }
}

/** Client id or secret are missing. */
export class MissingCredentialsError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super('credentials_missing', message, options);
  }
}

/** The OAuth server refused the client credentials (bad id or secret, wrong region, disabled client). */
export class AuthenticationError extends SwitchboardError {
  readonly status: number | undefined;
  readonly oauthError: string | undefined;

  constructor(
    message: string,
    options: SwitchboardErrorOptions & { status?: number; oauthError?: string } = {},
  ) {
    super('auth_failed', message, options);
    this.status = options.status;
    this.oauthError = options.oauthError;
  }
}

/** Details of a platform error body: `{message, code, status, messageParams, contextId, details, errors}`. */
export interface GenesysErrorDetails {
  /** HTTP status. 0 when no response arrived. */
  status: number;
  /** The platform's own error code, e.g. `missing.permissions`, `not.found`, `too.many.requests.retry.after`. */
  platformCode: string | undefined;
  /** `ININ-Correlation-Id` of the failed request (quote it to Genesys support). */
  correlationId: string | undefined;
  /** HTTP method and path (no host, no query) of the failed request. */
  method: string;
  path: string;
  /** The platform's messageParams, e.g. the missing permission names. */
  messageParams: Record<string, unknown> | undefined;
  /** The parsed error body, if any. */
  body: unknown;
  /** Seconds the platform asked to wait (429), when it said. */
  retryAfterSeconds: number | undefined;
}

/** A REST call to Genesys Cloud failed with an HTTP error status. */
export class GenesysApiError extends SwitchboardError implements GenesysErrorDetails {
  readonly status: number;
  readonly platformCode: string | undefined;
  readonly correlationId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly messageParams: Record<string, unknown> | undefined;
  readonly body: unknown;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: GenesysErrorDetails, options: SwitchboardErrorOptions = {}) {
    super('api_error', message, options);
    this.status = details.status;
    this.platformCode = details.platformCode;
    this.correlationId = details.correlationId;
    this.method = details.method;
    this.path = details.path;
    this.messageParams = details.messageParams;
    this.body = details.body;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      platformCode: this.platformCode,
      correlationId: this.correlationId,
      method: this.method,
      path: this.path,
    };
  }
}

/** The platform kept answering 429 (or asked to wait longer than the configured cap). */
export class RateLimitedError extends GenesysApiError {
  constructor(message: string, details: GenesysErrorDetails, options: SwitchboardErrorOptions = {}) {
    super(message, details, options);
    (this as { code: string }).code = 'rate_limited';
  }
}

/** No HTTP response: DNS, connection refused or reset, TLS, or the per-request timeout, after all retries. */
export class NetworkError extends SwitchboardError {
  readonly method: string;
  readonly path: string;

  constructor(
    message: string,
    request: { method: string; path: string },
    options: SwitchboardErrorOptions = {},
  ) {
    super('network_error', message, options);
    this.method = request.method;
    this.path = request.path;
  }
}

/** A notification frame, snapshot or recording line could not be understood. Counted and logged, never fatal. */
export class MalformedInputError extends SwitchboardError {
  constructor(message: string, options: SwitchboardErrorOptions = {}) {
    super('malformed_input', message, options);
  }
}

/** Type guard that survives errors crossing module or realm boundaries. */
export function isSwitchboardError(error: unknown): error is SwitchboardError {
  return error instanceof SwitchboardError;
}
