/**
 * Errors raised by sinks. Transports throw {@link DeliveryError} so the queue knows whether to retry and how long
 * to wait; messages never carry event payloads, response bodies or secrets.
 */
import { SwitchboardError, type SwitchboardErrorOptions } from '../errors.js';

/** A transport could not deliver a batch. `retryable` decides between a retry and giving up. */
export class DeliveryError extends SwitchboardError {
  readonly retryable: boolean;
  /** Wait the destination asked for (e.g. HTTP Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;

  constructor(
    message: string,
    details: { retryable: boolean; retryAfterMs?: number; status?: number; code?: string },
    options: SwitchboardErrorOptions = {},
  ) {
    super(details.code ?? 'delivery_failed', message, options);
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
  }
}

/** An event was written to a sink that is closed or closing. */
export class SinkClosedError extends SwitchboardError {
  constructor(sinkName: string) {
    super('sink_closed', `Sink "${sinkName}" is closed and takes no more events.`, {
      hint: 'Write events before calling close(); create a new sink to resume.',
    });
  }
}

/** Turns anything thrown by a transport into a DeliveryError; unknown errors are treated as retryable. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { code?: unknown })?.code;
  // Kept short: a custom transport's error text is not vetted and ends up in logs and health.
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  return new DeliveryError(message, { retryable: true, code: typeof code === 'string' ? code : undefined });
}
