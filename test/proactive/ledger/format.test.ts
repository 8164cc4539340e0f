import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEntry, formatDecision, redactAddress } from '../../../src/proactive/index.js';

describe('decision output', () => {
  it('redacts addresses to their last few characters', () => {
    assert.equal(redactAddress('+14045550123'), '********0123');
    assert.equal(redactAddress('14045550123'), '*******0123');
    assert.equal(redactAddress('visitor-1a2b3c4d5e6f'), '****************5e6f');
    assert.equal(redactAddress('abcdef'), '***def');
    assert.equal(redactAddress('ab'), '***');
  });

  it('prints a dry-run plan with who, why, channel and text, and no full address', () => {
    const printed = formatDecision({
      ruleId: 'thanks',
      customerId: 'contact-1',
      triggerId: 'e1',
      key: 'thanks|contact-1|e1',
      status: 'planned',
      why: '3 web messaging conversations in the last 30 days',
      channel: 'sms',
      address: redactAddress('+14045550123'),
      text: 'Hi Ana',
      notes: ['webmessaging: web messaging cannot receive proactive (agentless) messages'],
      dryRun: true,
    });
    assert.match(printed, /^PLAN +rule=thanks {2}customer=contact-1 {2}channel=sms {2}to=\*{8}0123/);
    assert.match(printed, /why: 3 web messaging conversations/);
    assert.match(printed, /passed over webmessaging: web messaging cannot receive/);
    assert.match(printed, /text: "Hi Ana"/);
    assert.doesNotMatch(printed, /4045550123/);
  });

  it('describes ledger entries without the address or context', () => {
    const described = describeEntry({
      id: 1,
      key: 'k',
      ruleId: 'r',
      customerId: 'c',
      triggerKind: 'event',
      triggerId: 't',
      status: 'sent',
      toAddress: '+14045550123',
      attempts: 1,
      context: { conversationId: 'x' },
      createdAt: 'a',
      updatedAt: 'b',
    });
    assert.equal(described.toAddress, '********0123');
    assert.equal('context' in described, false);
  });
});
