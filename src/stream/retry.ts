/** Telling passing failures from lasting ones, and describing them. */
import { AuthenticationError, GenesysApiError, SwitchboardError } from '../errors.js';

/** The channel budget is spent: creating another channel would evict one of ours. */
export class ChannelBudgetError extends SwitchboardError {
  constructor(message: string) {
    super('channel_budget_exhausted', message, {
      hint: 'Lower the number of topics, raise the channel budget (at most 20), or keep more channels in reserve.',
    });
  }
}

/**
 * Whether trying again later can help: network trouble, timeouts, 429 and 5xx can pass; a refused credential, a
 * missing permission or a malformed request will not fix itself.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof AuthenticationError) return false;
  if (error instanceof ChannelBudgetError) return false;
  if (error instanceof GenesysApiError) {
    return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
  }
  return true;
}

/** A channel id gives access to the channel's stream: logs and statuses keep only its first characters. */
function shortenChannelIds(text: string): string {
  return text.replace(/(\/channels\/)([0-9a-f-]{8})[0-9a-f-]{4,}/gi, '$1$2…');
}

/** A short, log-safe description of a failure. */
export function describeError(error: unknown): string {
  if (error instanceof GenesysApiError) {
    const code = error.platformCode ? ` ${error.platformCode}` : '';
    return shortenChannelIds(`${error.method} ${error.path} → ${error.status}${code}`);
  }
  if (error instanceof Error) return shortenChannelIds(error.message);
  return shortenChannelIds(String(error));
}

/** Wraps anything thrown into an Error. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
