/**
 * The one way doctor calls the REST API: through the platform client (its pacing, retries and coded errors), one
 * answer per call turned into an outcome a check can read without try/catch, every call counted, and the rate
 * limit the platform reports remembered from the headers.
 */
import { GenesysApiError, isSwitchboardError } from '../errors.js';
import { missingPermissions, type PlatformClient, type PlatformRequest } from '../platform/index.js';

/** The part of the platform client doctor uses. */
export type PlatformRequester = Pick<PlatformClient, 'request'>;

/** How one call went. */
export type ProbeOutcome<T> =
  | { kind: 'ok'; status: number; body: T }
  /** The platform answered with an error status. `missing` names the permissions a 403 says are missing. */
  | { kind: 'refused'; status: number; platformCode: string | undefined; missing: string[]; message: string }
  /** No answer: network, timeout, or the client gave up. */
  | { kind: 'failed'; message: string };

/** Calls the API for the checks, counting calls and reading the rate-limit headers. */
export class Prober {
  private calls = 0;
  private allowed: number | undefined;

  constructor(private readonly client: PlatformRequester) {}

  /** REST calls made so far. */
  get requests(): number {
    return this.calls;
  }

  /** `inin-ratelimit-allowed` of the latest answer that carried it: requests a minute for this token. */
  get rateLimitAllowed(): number | undefined {
    return this.allowed;
  }

  async call<T>(request: PlatformRequest): Promise<ProbeOutcome<T>> {
    this.calls++;
    try {
      const reply = await this.client.request<T>(request);
      const allowed = Number(reply.headers['inin-ratelimit-allowed']);
      if (Number.isFinite(allowed) && allowed > 0) this.allowed = allowed;
      return { kind: 'ok', status: reply.status, body: reply.body };
    } catch (error) {
      if (error instanceof GenesysApiError) {
        return {
          kind: 'refused',
          status: error.status,
          platformCode: error.platformCode,
          missing: error.status === 403 ? missingPermissions(error.body) : [],
          message: error.message,
        };
      }
      const message = isSwitchboardError(error) ? error.describe() : (error as Error).message;
      return { kind: 'failed', message };
    }
  }
}

/** What a failed call means, in a sentence, for a check's detail. */
export function describeOutcome(outcome: Exclude<ProbeOutcome<unknown>, { kind: 'ok' }>): string {
  return outcome.kind === 'refused' ? outcome.message : `no answer: ${outcome.message}`;
}
