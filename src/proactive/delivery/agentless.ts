/**
 * Delivery: agentless outbound messages, and what the platform's answer means for the ledger. The platform
 * client already waits out 429s (Retry-After) and retries 503s with backoff; a POST is never repeated after a
 * 500/502/504 or a lost connection, because the message may have gone out — that outcome is `unknown` and is
 * reconciled against analytics before anything is sent again.
 */
import { GenesysApiError, isSwitchboardError, RateLimitedError } from '../../errors.js';
import type { Models } from '../../platform/index.js';
import type { PlatformRequester } from '../platform-port.js';
import { describeForbidden, isForbidden } from '../platform-port.js';
import { maskAddresses } from '../redact.js';
import type { AgentlessRequest } from './channel-rules.js';

/** What became of one send. */
export type SendOutcome =
  | { status: 'sent'; conversationId?: string; messageId?: string }
  /** Not sent. `retryable`: nothing was processed and the same send may be tried later (429, 503). */
  | {
      status: 'failed';
      reasonCode: string;
      reason: string;
      retryable: boolean;
      platformCode?: string;
      correlationId?: string;
    }
  /** The caller lacks a permission: the rule must stop. */
  | {
      status: 'forbidden';
      reason: string;
      permissions: string[];
      platformCode?: string;
      correlationId?: string;
    }
  /** The message may or may not have gone out. */
  | { status: 'unknown'; reason: string; correlationId?: string };

const AGENTLESS_PATH = '/api/v2/conversations/messages/agentless';

/** Reads a send's failure into an outcome; `addresses` are masked in every message kept. */
export function outcomeOfError(error: unknown, addresses: readonly string[] = []): SendOutcome {
  const outcome = classify(error);
  if ('reason' in outcome) outcome.reason = maskAddresses(outcome.reason, addresses);
  return outcome;
}

function classify(error: unknown): SendOutcome {
  if (isForbidden(error)) {
    const { permissions, reason } = describeForbidden(error);
    const outcome: SendOutcome = { status: 'forbidden', reason, permissions };
    if (error.platformCode) outcome.platformCode = error.platformCode;
    if (error.correlationId) outcome.correlationId = error.correlationId;
    return outcome;
  }
  if (error instanceof GenesysApiError) {
    const said = (error.body as { message?: unknown } | undefined)?.message;
    const platformMessage = typeof said === 'string' ? said : error.message;
    const base = {
      ...(error.platformCode ? { platformCode: error.platformCode } : {}),
      ...(error.correlationId ? { correlationId: error.correlationId } : {}),
    };
    if (error instanceof RateLimitedError || error.status === 429) {
      return {
        status: 'failed',
        reasonCode: 'rate_limited',
        reason: error.message,
        retryable: true,
        ...base,
      };
    }
    if (error.status === 503) {
      return {
        status: 'failed',
        reasonCode: 'platform_unavailable',
        reason: `the platform stayed unavailable (503) after retries: ${platformMessage}`,
        retryable: true,
        ...base,
      };
    }
    if (error.status >= 500) {
      return {
        status: 'unknown',
        reason: `the platform answered ${error.status} ${error.platformCode ?? ''}; the message may have been sent`,
        ...(error.correlationId ? { correlationId: error.correlationId } : {}),
      };
    }
    return {
      status: 'failed',
      reasonCode: 'platform_rejected',
      reason: `${error.status} ${error.platformCode ?? ''}: ${platformMessage}`.replace(/ {2}/g, ' '),
      retryable: false,
      ...base,
    };
  }
  const detail = isSwitchboardError(error) ? `${error.code}: ${error.message}` : (error as Error)?.message;
  return {
    status: 'unknown',
    reason: `no answer from the platform (${detail}); the message may have been sent`,
  };
}

/** Sends agentless messages. */
export class AgentlessDelivery {
  constructor(private readonly client: PlatformRequester) {}

  /** Sends one message; never throws. */
  async send(request: AgentlessRequest, signal?: AbortSignal): Promise<SendOutcome> {
    try {
      const reply = await this.client.request<Models.SendAgentlessOutboundMessageResponse>({
        method: 'POST',
        path: AGENTLESS_PATH,
        body: request,
        ...(signal ? { signal } : {}),
      });
      const outcome: SendOutcome = { status: 'sent' };
      const conversationId = reply.body?.conversationId;
      const messageId = reply.body?.id ?? reply.body?.message?.id;
      if (conversationId) outcome.conversationId = conversationId;
      if (messageId) outcome.messageId = messageId;
      return outcome;
    } catch (error) {
      return outcomeOfError(error, [request.toAddress]);
    }
  }
}
