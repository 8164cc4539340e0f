import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OrgContact } from '../../src/emulator/world/index.js';
import type { Models } from '../../src/platform/index.js';
import {
  type Decision,
  ProactiveEngine,
  type RuleInput,
  type RulesFileInput,
} from '../../src/proactive/index.js';
import {
  eventsOf,
  type Harness,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness({ seed: 1234 });
});
after(() => h.stop());

function rule(id: string, overrides: Partial<RuleInput>): RuleInput {
  return {
    id,
    trigger: { event: 'conversation.ended', mediaType: 'message', messageType: 'webmessaging' },
    history: { minConversations: 1 },
    channels: ['sms'],
    message: { text: 'Hello {{contact.firstName}}' },
    // Several tests reach the same customers: the daily cap is not what they are about.
    policy: { quietHours: false, dailyCap: 10 },
    ...overrides,
  };
}

async function trigger(rules: RuleInput[], contact: OrgContact, extra: Omit<RulesFileInput, 'rules'> = {}) {
  const engine = new ProactiveEngine({
    rules: testRules(rules, extra),
    client: h.client,
    ledger: h.openLedger().ledger,
  });
  const earlier = new Set((await outbound(h.emulator)).map((s) => s.id));
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
  });
  const decisions: Decision[] = [];
  for (const event of await eventsOf(h.emulator, conversationId, ['conversation.ended'])) {
    decisions.push(...(await engine.handleEvent(event)));
  }
  const sends = (await outbound(h.emulator)).filter(
    (s) => !earlier.has(s.id) && s.externalContactId === contact.id,
  );
  return { conversationId, decisions, sends };
}

function whatsAppContact(): OrgContact {
  const contact = returningContacts(h.emulator).reachable.find((c) => c.whatsAppNumber);
  assert.ok(contact, 'the seeded org has a returning customer on WhatsApp');
  return contact;
}

describe('channels', () => {
  it('uses the WhatsApp template outside the 24-hour window, with rendered parameters', async () => {
    const contact = whatsAppContact();
    const { decisions, sends } = await trigger(
      [
        rule('wa-template', {
          channels: ['whatsapp', 'sms'],
          message: {
            text: 'Hello {{contact.firstName}}',
            whatsappTemplate: {
              responseId: 'returning_v1',
              bodyParameters: ['{{contact.firstName}}', '{{rule.id}}'],
            },
          },
        }),
      ],
      contact,
    );
    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel]),
      [['sent', 'whatsapp']],
    );
    assert.equal(sends.length, 1);
    assert.equal(sends[0]!.toAddress, contact.whatsAppNumber!.replace('+', ''));
    assert.deepEqual(sends[0]!.messagingTemplate, {
      responseId: 'returning_v1',
      bodyParameters: [{ value: contact.firstName }, { value: 'wa-template' }],
    });
  });

  it('passes WhatsApp over without a template when the customer has not written there in 24 hours', async () => {
    const contact = whatsAppContact();
    const { decisions, sends } = await trigger([rule('wa-text', { channels: ['whatsapp', 'sms'] })], contact);
    assert.deepEqual(
      decisions.map((d) => [d.status, d.channel]),
      [['sent', 'sms']],
    );
    assert.match(decisions[0]!.notes[0] ?? '', /^whatsapp: outside the 24-hour WhatsApp window/);
    assert.deepEqual(
      sends.map((s) => s.messengerType),
      ['sms'],
    );
  });

  it('checks a configured sender against the org and passes the channel over when it is not provisioned', async () => {
    const contact = returningContacts(h.emulator).reachable[0]!;
    const { decisions, sends } = await trigger([rule('bad-sender', { channels: ['sms', 'open'] })], contact, {
      settings: { senders: { sms: { fromAddress: '+15550009999' } } },
    });
    assert.match(
      decisions[0]!.notes[0] ?? '',
      /^sms: settings\.senders\.sms \(\+15550009999\) is not an SMS number provisioned/,
    );
    if (contact.openMessagingId) {
      assert.deepEqual(
        sends.map((s) => s.messengerType),
        ['open'],
      );
    } else {
      assert.equal(decisions[0]!.reasonCode, 'no_channel');
      assert.equal(sends.length, 0);
    }
  });

  it('reads the customer’s last message through the bulk call only when the template needs it', async () => {
    const contact = returningContacts(h.emulator).reachable[1]!;
    const { conversationId, decisions, sends } = await trigger(
      [rule('quote', { message: { text: 'You wrote: "{{history.lastCustomerMessage}}"' } })],
      contact,
    );
    assert.equal(decisions[0]!.status, 'sent');
    const view = await h.client.request<Models.MessageConversation>({
      method: 'GET',
      path: `/api/v2/conversations/messages/${conversationId}`,
    });
    const ids = (view.body.participants ?? [])
      .filter((p) => p.purpose === 'customer')
      .flatMap((p) => (p.messages ?? []).map((m) => m.messageId!));
    const bulk = await h.client.request<{ entities: { textBody: string; timestamp: string }[] }>({
      method: 'POST',
      path: `/api/v2/conversations/messages/${conversationId}/messages/bulk`,
      body: ids,
    });
    const last = bulk.body.entities.at(-1)!.textBody;
    assert.equal(sends[0]!.textBody, `You wrote: "${last}"`);
  });
});
