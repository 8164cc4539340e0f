/**
 * The spelling module against the platform's own enums (definitions/platform-api.json, read here directly): every
 * value each API can send is read, and read into the vocabulary the events use.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  conversationDisconnectType,
  detailEventDisconnectType,
  isIntegrationActive,
  isSmsNumberActive,
  restDisconnectType,
  smsNumberStatusQueryValue,
  transferKind,
  transferState,
} from '../src/spellings.js';
import { definitions } from './conformance/definitions.js';

function enumOf(model: string, property: string): string[] {
  const values = definitions.models[model]?.properties[property]?.enum;
  assert.ok(values, `${model}.${property} has an enum in the definitions`);
  return values;
}

/** Every disconnect type a notification can carry: the vocabulary of `participant.left`. */
const notificationDisconnectTypes = new Set([
  ...enumOf('ConversationEventTopicCall', 'disconnectType'),
  ...enumOf('ConversationEventTopicMessage', 'disconnectType'),
  ...enumOf('QueueConversationEventTopicCall', 'disconnectType'),
  ...enumOf('QueueConversationEventTopicMessage', 'disconnectType'),
]);

describe('spellings', () => {
  test('SMS numbers: only the model’s ACTIVE is usable, and the query spelling follows the listing’s enum', () => {
    const statuses = enumOf('SmsPhoneNumber', 'phoneNumberStatus');
    assert.deepEqual(
      statuses.filter((s) => isSmsNumberActive(s)),
      ['ACTIVE'],
    );
    const query = definitions.operations
      .find((o) => o.path === '/api/v2/routing/sms/phonenumbers')!
      .query.find((q) => q.name === 'phoneNumberStatus')!.enum!;
    for (const status of statuses) assert.ok(query.includes(smsNumberStatusQueryValue(status)), status);
  });

  test('messaging integrations: only Active is usable', () => {
    for (const model of ['WhatsAppIntegration']) {
      assert.deepEqual(
        enumOf(model, 'status').filter((s) => isIntegrationActive(s)),
        ['Active'],
      );
    }
  });

  test('transfers: REST and notification spellings of type and state read the same', () => {
    for (const model of [
      'TransferResponse',
      'ConversationEventTopicTransferResponse',
      'QueueConversationEventTopicTransferResponse',
    ]) {
      const types = enumOf(model, 'transferType');
      assert.deepEqual(types.map(transferKind).sort(), ['blind', 'consult'], model);
      const states = enumOf(model, 'state');
      for (const state of states)
        assert.equal(transferState(state), state.toLowerCase(), `${model} ${state}`);
    }
  });

  test('analytics disconnect types read as the notifications spell them', () => {
    for (const value of enumOf('AnalyticsConversationSegment', 'disconnectType')) {
      const read = conversationDisconnectType(value);
      assert.ok(notificationDisconnectTypes.has(read), `${value} → ${read}`);
    }
    assert.equal(conversationDisconnectType('consultTransfer'), 'transfer.consult');
  });

  test('REST disconnect types read as the notifications spell them', () => {
    for (const model of ['Call', 'Message', 'MessageMediaParticipant']) {
      for (const value of enumOf(model, 'disconnectType')) {
        const read = restDisconnectType(value);
        assert.ok(notificationDisconnectTypes.has(read), `${model} ${value} → ${read}`);
      }
    }
  });

  test('detail-event disconnect types read as the notifications spell them', () => {
    for (const value of enumOf('UserEndDetailEventTopicUserEndEvent', 'disconnectType')) {
      if (value === 'UNKNOWN') continue; // no conversation-API counterpart: read as is
      const read = detailEventDisconnectType(value);
      assert.ok(notificationDisconnectTypes.has(read), `${value} → ${read}`);
    }
  });
});
