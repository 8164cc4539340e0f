import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AgentlessRequest, agentlessProblem } from '../../../src/proactive/index.js';

const sms: AgentlessRequest = {
  fromAddress: '+18885550190',
  toAddress: '+14045550123',
  toAddressMessengerType: 'sms',
  textBody: 'Hi',
  useExistingActiveConversation: false,
};

describe('agentless channel rules', () => {
  it('accepts well-formed requests of each channel', () => {
    assert.equal(agentlessProblem(sms), undefined);
    assert.equal(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'whatsapp',
        fromAddress: 'wa-integration',
        toAddress: '14045550123',
      }),
      undefined,
    );
    assert.equal(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'whatsapp',
        fromAddress: 'wa',
        toAddress: '14045550123',
        textBody: undefined,
        messagingTemplate: { responseId: 't1', bodyParameters: [{ value: 'Ana' }] },
      }),
      undefined,
    );
    assert.equal(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'open',
        fromAddress: 'open-1',
        toAddress: 'visitor-1',
      }),
      undefined,
    );
  });

  it('refuses what the platform would refuse, before any call', () => {
    assert.match(agentlessProblem({ ...sms, toAddress: '4045550123' }) ?? '', /E\.164/);
    assert.match(agentlessProblem({ ...sms, fromAddress: 'sms-number-id' }) ?? '', /provisioned number/);
    assert.equal(agentlessProblem({ ...sms, textBody: 'x'.repeat(765) }), undefined);
    assert.match(agentlessProblem({ ...sms, textBody: 'x'.repeat(766) }) ?? '', /at most 765/);
    assert.match(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'whatsapp',
        fromAddress: 'wa',
        toAddress: '+14045550123',
      }) ?? '',
      /digits without "\+"/,
    );
    assert.match(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'open',
        fromAddress: 'o',
        toAddress: 'v',
        textBody: 'x'.repeat(2001),
      }) ?? '',
      /at most 2000/,
    );
    assert.match(
      agentlessProblem({
        ...sms,
        toAddressMessengerType: 'open',
        fromAddress: 'o',
        toAddress: 'v',
        textBody: undefined,
        messagingTemplate: { responseId: 't' },
      }) ?? '',
      /text only/,
    );
    assert.match(agentlessProblem({ ...sms, textBody: '  ' }) ?? '', /empty/);
  });
});
