/**
 * Which refusals of a `webmessaging-reply` mean "that conversation is no longer active" (the decision goes on to the
 * rule's next channel) and which keep their usual handling.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenesysApiError } from '../../../src/errors.js';
import { WebMessagingReplier } from '../../../src/proactive/delivery/reply.js';

const PATH = '/api/v2/conversations/messages/c1/communications/m1/messages';

function refusal(status: number, code: string, message: string): GenesysApiError {
  return new GenesysApiError(`POST ${PATH} failed with ${status} ${code}: ${message}`, {
    status,
    platformCode: code,
    correlationId: 'corr-1',
    method: 'POST',
    path: PATH,
    messageParams: {},
    body: { message, code, status, messageParams: {}, contextId: 'corr-1', details: [], errors: [] },
    retryAfterSeconds: undefined,
  });
}

function replierRefusing(error: GenesysApiError): WebMessagingReplier {
  return new WebMessagingReplier({
    userId: 'u1',
    client: {
      request: () => Promise.reject(error),
    },
  });
}

async function outcomeOf(error: GenesysApiError) {
  return replierRefusing(error).send({ conversationId: 'c1', communicationId: 'm1' }, 'Hello');
}

describe('a refused reply', () => {
  it('is reply_conversation_closed for a 404, a 409, or a 400 that says the conversation is over', async () => {
    for (const error of [
      refusal(409, 'conflict', 'Conversation c1 has ended: no new messages can be sent in it'),
      refusal(404, 'not.found', 'Communication m1 not found in conversation c1'),
      refusal(400, 'bad.request', 'Communication m1 is disconnected'),
      refusal(400, 'bad.request', 'The conversation is no longer active'),
    ]) {
      const outcome = await outcomeOf(error);
      assert.equal(outcome.status, 'failed', error.message);
      assert.ok(outcome.status === 'failed');
      assert.equal(outcome.reasonCode, 'reply_conversation_closed', error.message);
      assert.equal(outcome.retryable, false);
      assert.equal(outcome.platformCode, error.platformCode);
      assert.equal(outcome.correlationId, 'corr-1');
      assert.match(
        outcome.reason,
        new RegExp(
          `^the customer's web messaging conversation c1 is no longer active: the reply was refused \\(${error.status} ${error.platformCode}: `,
        ),
      );
    }
  });

  it('keeps its usual handling otherwise', async () => {
    const invalid = await outcomeOf(refusal(400, 'invalid.value', 'textBody exceeds 2000 characters'));
    assert.deepEqual(
      [invalid.status, 'reasonCode' in invalid && invalid.reasonCode],
      ['failed', 'platform_rejected'],
    );
    const forbidden = await outcomeOf(refusal(403, 'not.authorized', 'User u1 is not an active participant'));
    assert.equal(forbidden.status, 'forbidden');
    const unknown = await outcomeOf(refusal(502, 'bad.gateway', 'Bad gateway'));
    assert.equal(unknown.status, 'unknown');
  });
});
