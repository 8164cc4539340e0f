import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type DeriverCheckpoint,
  LifecycleDeriver,
  parseConversationSnapshot,
} from '../../src/conversations/index.js';
import { MalformedInputError } from '../../src/errors.js';
import { assertUniqueIds, feed, loadFrames, sourceOf, summary } from './helpers.js';

const MINUTE = 60_000;

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2024-03-13T10:00:00.000Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('checkpoint export and import', () => {
  const frames = loadFrames('voice-blind-transfers');

  it('lets a restarted deriver carry on without re-emitting what was delivered', () => {
    const full = feed(new LifecycleDeriver(), frames);
    for (let cut = 1; cut < frames.length; cut++) {
      const first = new LifecycleDeriver();
      const before = feed(first, frames.slice(0, cut));
      const checkpoint = JSON.parse(JSON.stringify(first.exportState())) as DeriverCheckpoint;
      const second = new LifecycleDeriver();
      second.importState(checkpoint);
      // The restarted process sees the last few frames again (overlapping channels, replay) and then the rest.
      const after = feed(second, frames.slice(Math.max(0, cut - 3)));
      const events = [...before.events, ...after.events];
      assert.deepEqual(summary(events), summary(full.events), `cut at ${cut}`);
      assertUniqueIds(events);
      assert.deepEqual([...before.lookups, ...after.lookups], full.lookups, `cut at ${cut}`);
    }
  });

  it('keeps outstanding wrap-up lookups and the time of the last snapshot', () => {
    const first = new LifecycleDeriver();
    let n = 0;
    for (const frame of frames) {
      n++;
      first.ingest(
        parseConversationSnapshot(frame.eventBody),
        sourceOf(frame),
        `2024-03-13T09:50:${String(n).padStart(2, '0')}.000Z`,
      );
    }
    const checkpoint = first.exportState();
    assert.equal(checkpoint.lastIngestAt, `2024-03-13T09:50:${frames.length}.000Z`);
    assert.ok(JSON.stringify(checkpoint).length < 1500, 'compact, even with two lookups outstanding');
    const second = new LifecycleDeriver();
    second.importState(JSON.parse(JSON.stringify(checkpoint)) as DeriverCheckpoint);
    assert.deepEqual(second.pendingWrapupLookups(), first.pendingWrapupLookups());
    assert.equal(second.pendingWrapupLookups().length, 2);
    assert.equal(second.lastIngestAt(), checkpoint.lastIngestAt);
    const [wrapup] = second.completeWrapup(
      'a41c7e02-5f3b-4d19-8c6e-2b9d0f7a3e15',
      '6fd69e1c-5d75-4279-84e0-90a527aa63af',
      {
        code: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03',
      },
    );
    assert.equal(wrapup?.type, 'conversation.wrapup');
    assert.equal(wrapup?.occurredAt, '2024-03-13T09:44:06.130Z');
    assert.equal(wrapup?.mediaType, 'voice');
  });

  it('refuses a checkpoint that is not one', () => {
    const deriver = new LifecycleDeriver();
    for (const bad of [
      null,
      { version: 2, conversations: [] },
      { version: 1 },
      { version: 1, conversations: [{ id: 'c1' }] },
      { version: 1, conversations: [{ id: 'c1', f: 1, seen: 0, m: 'voice', b: 0, p: ['p1'] }] },
    ]) {
      assert.throws(
        () => deriver.importState(bad as unknown as DeriverCheckpoint),
        (error: unknown) => error instanceof MalformedInputError,
        JSON.stringify(bad),
      );
    }
  });
});

describe('bounded state', () => {
  const basic = loadFrames('voice-inbound-basic');

  it('still deduplicates within the grace period, and forgets the conversation after it', () => {
    const clock = manualClock();
    const deriver = new LifecycleDeriver({ now: clock.now, graceMs: 10 * MINUTE });
    const first = feed(deriver, basic);
    assert.equal(deriver.stats().awaitingWrapup, 1, 'a wrap-up code lookup is outstanding');
    deriver.completeWrapup(
      '0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01',
      '3eb81865-7076-42d4-b2f1-70af40f94e1d',
      undefined,
    );
    assert.equal(deriver.stats().ended, 1);
    clock.advance(9 * MINUTE);
    assert.deepEqual(feed(deriver, basic.slice(-3)).events, [], 'late duplicates inside the grace period');
    clock.advance(10 * MINUTE + 1);
    deriver.sweep();
    assert.equal(deriver.stats().tracked, 0);
    assert.equal(deriver.stats().expired, 1);
    // Long after, the conversation reappears: the facts come again with the same ids, for downstream to drop.
    const again = feed(deriver, basic.slice(-1));
    assert.deepEqual(
      again.events.map((e) => e.id),
      first.events.map((e) => e.id),
    );
    assert.equal(again.lookups.length, 1);
  });

  it('keeps an ended conversation longer while after-call work is under way', () => {
    const clock = manualClock();
    const deriver = new LifecycleDeriver({ now: clock.now, graceMs: MINUTE, wrapupGraceMs: 30 * MINUTE });
    const acwPending = basic.findIndex((f) => JSON.stringify(f.eventBody).includes('"pending"'));
    feed(deriver, basic.slice(0, acwPending + 2));
    assert.equal(deriver.stats().awaitingWrapup, 1);
    clock.advance(20 * MINUTE);
    deriver.sweep();
    assert.equal(deriver.stats().tracked, 1);
    const rest = feed(deriver, basic.slice(acwPending + 2));
    assert.deepEqual(rest.events, []);
    assert.equal(rest.lookups.length, 1, 'the late ACW completion is still recognised');
    assert.equal(deriver.stats().awaitingWrapup, 1, 'a lookup is outstanding');
    deriver.completeWrapup('0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01', '3eb81865-7076-42d4-b2f1-70af40f94e1d', {
      code: 'x',
    });
    assert.equal(deriver.stats().ended, 1);
    clock.advance(MINUTE + 1);
    deriver.sweep();
    assert.equal(deriver.stats().tracked, 0);
  });

  it('forgets a conversation that stayed silent past the idle limit', () => {
    const clock = manualClock();
    const deriver = new LifecycleDeriver({ now: clock.now, idleMs: 60 * MINUTE });
    feed(deriver, basic.slice(0, 3));
    assert.equal(deriver.stats().live, 1);
    clock.advance(59 * MINUTE);
    deriver.sweep();
    assert.equal(deriver.stats().live, 1);
    clock.advance(2 * MINUTE);
    deriver.sweep();
    assert.equal(deriver.stats().tracked, 0);
  });

  it('evicts beyond the cap: the oldest ended first, then the oldest idle', () => {
    const clock = manualClock();
    const deriver = new LifecycleDeriver({ now: clock.now, maxConversations: 3 });
    const withId = (id: string, body: Record<string, unknown>) => parseConversationSnapshot({ ...body, id });
    const endedBody = basic.at(-1)!.eventBody;
    const liveBody = basic[2]!.eventBody;
    const source = sourceOf(basic[0]!);
    deriver.ingest(withId('c-live-old', liveBody), source);
    clock.advance(1000);
    deriver.ingest(withId('c-ended-old', endedBody), source);
    clock.advance(1000);
    deriver.ingest(withId('c-ended-new', endedBody), source);
    clock.advance(1000);
    deriver.ingest(withId('c-live-new', liveBody), source);
    assert.equal(deriver.stats().tracked, 3);
    assert.equal(deriver.stats().evicted, 1);
    const tracked = deriver.exportState().conversations.map((c) => c.id);
    assert.deepEqual(tracked.sort(), ['c-ended-new', 'c-live-new', 'c-live-old']);
    // The ended ones keep going first while there are any (awaiting ones count as ended here: completed ACW
    // without a code leaves a lookup pending, so they sit in the awaiting map).
    clock.advance(1000);
    deriver.ingest(withId('c-live-3', liveBody), source);
    clock.advance(1000);
    deriver.ingest(withId('c-live-4', liveBody), source);
    assert.deepEqual(
      deriver
        .exportState()
        .conversations.map((c) => c.id)
        .sort(),
      ['c-live-3', 'c-live-4', 'c-live-new'],
    );
  });

  it('holds well under 2 KB per live conversation', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const template = JSON.stringify(loadFrames('voice-consult-transfer')[8]!.eventBody); // mid-consult, 5 legs
    const deriver = new LifecycleDeriver({ maxConversations: 100_000 });
    const source = { kind: 'replay' } as const;
    const count = 5000;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) {
      // Fresh ids per conversation (as on the wire), so no string is shared between records.
      const suffix = i.toString(16).padStart(6, '0');
      const text = template.replace(
        /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{6})[0-9a-f]{6}/g,
        `$1${suffix}`,
      );
      deriver.ingest(parseConversationSnapshot(JSON.parse(text)), source);
    }
    gc();
    const perConversation = (process.memoryUsage().heapUsed - before) / count;
    assert.equal(deriver.stats().live, count);
    assert.ok(perConversation < 2048, `retained ${Math.round(perConversation)} bytes per conversation`);
  });
});
