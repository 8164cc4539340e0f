import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecycleDeriver } from '../../src/conversations/index.js';
import type { ConversationStartedEvent, ConversationWrapupEvent } from '../../src/events.js';
import { assertUniqueIds, feed, loadFrames, loadRestConversation, sourceOf, summary } from './helpers.js';

describe('web messaging: parked and resumed', () => {
  const CONV = 'f7b3e1c9-2a4d-4c6e-8f0a-3b5d7e9f1a26';
  const CUSTOMER = 'fea7f06c-6393-490e-af56-45cfa3d68e9f';
  const ANA = 'be54eddb-e460-46f2-80dc-1a1cb6676ff5';
  const CONTACT = 'e5a0c7d2-4b9f-4e13-a8c6-1d3f5b7a9c40';
  const frames = loadFrames('message-parked-resumed');

  it('neither leaves nor ends while the conversation is parked, and ends once after it resumes', () => {
    const deriver = new LifecycleDeriver();
    const parked = frames.findIndex((f) => JSON.stringify(f.eventBody).includes('"state":"parked"'));
    const resumed = frames.findIndex((f) => JSON.stringify(f.eventBody).includes('"resumeTime"'));
    assert.ok(parked > 0 && resumed > parked);
    const beforeResume = feed(deriver, frames.slice(0, resumed));
    assert.deepEqual(
      beforeResume.events.map((e) => e.type),
      ['conversation.started', 'participant.joined'],
    );
    const rest = feed(deriver, frames.slice(resumed));
    assert.deepEqual(summary([...beforeResume.events, ...rest.events]), [
      ['conversation.started', '', '2024-03-14T11:15:05.871Z'],
      ['participant.joined', ANA, '2024-03-14T11:16:01.774Z'],
      ['participant.left', ANA, '2024-03-14T12:00:08.189Z'],
      ['conversation.ended', '', '2024-03-14T12:00:08.221Z'],
    ]);
    assertUniqueIds([...beforeResume.events, ...rest.events]);
    assert.deepEqual(rest.lookups, [{ conversationId: CONV, participantId: ANA }]);
  });

  it('labels every event as a webmessaging message conversation and names the known contact', () => {
    const run = feed(new LifecycleDeriver(), frames);
    for (const e of run.events) {
      assert.equal(e.mediaType, 'message');
      assert.equal(e.messageType, 'webmessaging');
    }
    const started = run.events[0] as ConversationStartedEvent;
    assert.deepEqual(started.customer, {
      participantId: CUSTOMER,
      purpose: 'customer',
      externalContactId: CONTACT,
    });
    assert.equal(started.direction, 'inbound');
    assert.equal(JSON.stringify(run.events).includes('Guest'), false, 'no names or addresses in events');
  });
});

describe('email: timestamps without milliseconds, after-call work skipped', () => {
  const CONV = '3c8e5a1f-9d2b-4f7e-b6a4-0c2e4f6a8b57';
  const CHO = '2903e70d-80a3-43bc-841e-47b0144b5c03';
  const frames = loadFrames('email-inbound');

  it('normalises times to milliseconds and asks for the code of the skipped wrap-up', () => {
    const deriver = new LifecycleDeriver();
    const run = feed(deriver, frames);
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-15T08:30:12.000Z'],
      ['participant.joined', CHO, '2024-03-15T08:51:02.000Z'],
      ['participant.left', CHO, '2024-03-15T08:58:34.000Z'],
      ['conversation.ended', '', '2024-03-15T08:58:34.000Z'],
    ]);
    assert.equal(run.events[0]!.mediaType, 'email');
    assert.deepEqual(run.lookups, [{ conversationId: CONV, participantId: CHO }]);

    const rest = deriver.ingestRestConversation(loadRestConversation('email-inbound'));
    assert.deepEqual(summary(rest.events), [['conversation.wrapup', CHO, '2024-03-15T08:55:12.000Z']]);
    const wrapup = rest.events[0] as ConversationWrapupEvent;
    assert.equal(wrapup.afterCallWork, 'skipped');
    assert.equal(wrapup.code, 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e05');
    assert.equal(wrapup.codeName, 'Email answered');
    // The wrap-up moment was seen live; only its code came from REST.
    const skippedFrame = frames.find((f) => JSON.stringify(f.eventBody).includes('"skipped"'))!;
    assert.deepEqual(wrapup.source, sourceOf(skippedFrame));
    assert.deepEqual(rest.wrapupLookups, []);
  });
});

describe('callback: previewed, dialled, completed', () => {
  const CONV = '5e9a2c4b-1f8d-4b3a-9e7c-6d0f2a4c8e63';
  const BEN = '0deb9d8a-cfda-4e26-a234-f986ed00d37c';

  it('is a callback conversation from start to end, though the agent leg gains a call', () => {
    const deriver = new LifecycleDeriver();
    const run = feed(deriver, loadFrames('callback-outbound'));
    assert.deepEqual(summary(run.events), [
      ['conversation.started', '', '2024-03-15T13:00:00.250Z'],
      ['participant.joined', BEN, '2024-03-15T13:06:52.550Z'],
      ['participant.left', BEN, '2024-03-15T13:10:55.290Z'],
      ['conversation.ended', '', '2024-03-15T13:10:55.290Z'],
    ]);
    for (const e of run.events) assert.equal(e.mediaType, 'callback');
    assert.equal((run.events[0] as ConversationStartedEvent).direction, 'outbound');
    assert.deepEqual(run.lookups, [{ conversationId: CONV, participantId: BEN }]);
    const rest = deriver.ingestRestConversation(loadRestConversation('callback-outbound'));
    assert.deepEqual(summary(rest.events), [['conversation.wrapup', BEN, '2024-03-15T13:11:30.750Z']]);
    assert.equal((rest.events[0] as ConversationWrapupEvent).durationSeconds, 35);
  });
});

describe('one deriver, many conversations', () => {
  it('keeps conversations apart when their snapshots interleave (user topics carry several)', () => {
    const names = ['voice-inbound-basic', 'message-parked-resumed', 'email-inbound', 'callback-outbound'];
    const alone = names.map((n) => summary(feed(new LifecycleDeriver(), loadFrames(n)).events));
    const all = names.map((n) => loadFrames(n));
    const interleaved = [];
    for (let i = 0; all.some((frames) => i < frames.length); i++) {
      for (const frames of all) if (i < frames.length) interleaved.push(frames[i]!);
    }
    const run = feed(new LifecycleDeriver(), interleaved);
    names.forEach((_, k) => {
      const conversationId = all[k]![0]!.eventBody.id;
      assert.deepEqual(summary(run.events.filter((e) => e.conversationId === conversationId)), alone[k]);
    });
  });
});
