/**
 * Detail events and aggregate topics of the same emulated conversations give the same events: the same ids, and the
 * same values where both carry a field (detail events may carry fewer: the first queue is on `conversation.started`
 * only when the conversation had reached it by then). The world publishes every change as a whole snapshot and as the
 * detail events it produced; each recording is derived on its own — the detail events through the assembler, each
 * arriving when it was published, also twice and shuffled — and checked against the ground truth. Every shape the
 * emulated world makes is covered (blind and consult transfers to queues and users, missed offers, parked messages,
 * skipped after-call work, every media) and a stretch of live traffic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  classifyTopic,
  DetailEventAssembler,
  LifecycleDeriver,
  readDetailEvent,
} from '../../src/conversations/index.js';
import {
  createWorld,
  ManualClock,
  type SimConversation,
  TRANSFER_KINDS,
} from '../../src/emulator/world/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { TestClock } from '../helpers/test-clock.js';
import { deriveSnapshots, eventsById, SMALL_ORG, shuffled } from './helpers.js';

const START = Date.UTC(2026, 2, 10, 9, 0, 0);
const HOLD = 2_000;
const SETTLE = 10_000;

interface Frame {
  topic: string;
  body: unknown;
  at: number;
}

interface Recording {
  frames: Frame[];
  conversations: SimConversation[];
  truthIds: string[];
}

function record(): Recording {
  const clock = new ManualClock(START);
  const frames: Frame[] = [];
  const world = createWorld(
    { seed: 11, ...SMALL_ORG },
    {
      publish: (topic, body) => frames.push({ topic, body, at: clock.now() }),
      detailEventsWanted: () => true,
    },
    clock,
  );
  for (const transfer of TRANSFER_KINDS) {
    world.startScriptedConversation({ kind: 'voice', transfer });
    world.startScriptedConversation({ kind: 'webmessaging', transfer });
    world.startScriptedConversation({ kind: 'email', transfer });
  }
  world.startScriptedConversation({ kind: 'voice', missedAlert: true, transfer: 'none' });
  world.startScriptedConversation({ kind: 'voice', afterCallWork: 'skipped', transfer: 'consult-user' });
  world.startScriptedConversation({ kind: 'callback', afterCallWork: 'skipped', transfer: 'blind-queue' });
  world.startScriptedConversation({ kind: 'webmessaging', park: true, transfer: 'none' });
  for (const kind of ['sms', 'whatsapp', 'open', 'email', 'callback'] as const)
    world.startScriptedConversation({ kind, transfer: 'none' });
  world.start();
  // A minute of live traffic at this scale is about 600 conversations and 26,000 frames: every shape many times over,
  // derived three ways, in seconds (ten minutes took a minute of CPU and timed out on a loaded machine).
  clock.advance(60_000);
  world.setTraffic(0);
  clock.advance(60 * 60_000);
  const conversations = world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER);
  const truthIds = world.groundTruth().map((f) => f.id);
  world.stop();
  return { frames, conversations, truthIds };
}

/** The detail events through the assembler and the deriver, each arriving at `arrival(frame)`. */
function deriveDetail(
  frames: Frame[],
  arrival: (f: Frame, i: number) => number,
): {
  events: LifecycleEvent[];
  lookups: number;
} {
  const clock = new TestClock(START);
  const deriver = new LifecycleDeriver({ now: () => clock.now() });
  const events: LifecycleEvent[] = [];
  let lookups = 0;
  const assembler = new DetailEventAssembler({
    timers: clock,
    holdMs: HOLD,
    settleMs: SETTLE,
    deliver: (legs, source, observedAt) => {
      const result = deriver.ingestLegs(legs, source, observedAt);
      events.push(...result.events);
      lookups += result.wrapupLookups.length;
    },
  });
  const timed = frames.map((f, i) => ({ f, at: arrival(f, i), i })).sort((a, b) => a.at - b.at || a.i - b.i);
  for (const { f, at } of timed) {
    if (at > clock.now()) clock.advance(at - clock.now());
    const reading = readDetailEvent(f.topic, f.body);
    if (reading.kind === 'record') assembler.add(reading.record, { kind: 'topic', topic: f.topic });
  }
  clock.advance(HOLD + SETTLE + 1);
  return { events, lookups };
}

/** Fields a detail event may lack that the snapshot's event has. */
const MAY_LACK: Record<string, string[]> = { 'conversation.started': ['queueId'] };

/** Where a detail event says something else than the snapshot's event of the same fact, or lacks what it may not. */
function differences(detail: LifecycleEvent, snapshot: LifecycleEvent): string[] {
  const out: string[] = [];
  const left = detail as unknown as Record<string, unknown>;
  const right = snapshot as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (key === 'source' || key === 'observedAt') continue;
    if (!(key in left) && MAY_LACK[detail.type]?.includes(key)) continue;
    if (JSON.stringify(left[key]) !== JSON.stringify(right[key]))
      out.push(`${detail.type} ${key}: ${JSON.stringify(left[key])} ≠ ${JSON.stringify(right[key])}`);
  }
  return out;
}

function compare(detail: Map<string, LifecycleEvent>, snapshot: Map<string, LifecycleEvent>): string[] {
  return [...detail.values()].flatMap((e) => {
    const other = snapshot.get(e.id);
    return other ? differences(e, other) : [`${e.type} ${e.id} only from detail events`];
  });
}

describe('detail events and aggregate topics', () => {
  const recording = record();
  const aggregateFrames = recording.frames.filter((f) => classifyTopic(f.topic).kind === 'aggregate');
  const detailFrames = recording.frames.filter((f) => f.topic.startsWith('v2.detail.events.'));
  const aggregate = eventsById(deriveSnapshots(aggregateFrames, recording.conversations, START));
  const inOrder = deriveDetail(detailFrames, (f) => f.at);
  const detail = eventsById(inOrder.events);
  const truth = [...new Set(recording.truthIds)].sort();

  it('records the detail events of every conversation, each once', () => {
    assert.ok(recording.conversations.length > 30, `${recording.conversations.length} conversations played`);
    assert.ok(recording.conversations.every((c) => c.endTime !== undefined));
    const events = new Set(detailFrames.map((f) => f.topic.split('.').slice(5).join('.')));
    for (const event of ['customer.start', 'customer.end', 'acd.start', 'acd.end', 'user.start', 'user.end'])
      assert.ok(events.has(event), event);
    for (const event of ['acw', 'wrapup', 'flow.start', 'flow.end']) assert.ok(events.has(event), event);
    const keys = detailFrames.map((f) => `${f.topic}|${JSON.stringify(f.body)}`);
    assert.equal(new Set(keys).size, keys.length, 'each record published once');
    for (const c of recording.conversations) {
      assert.ok(
        detailFrames.some((f) => f.topic === `v2.detail.events.conversation.${c.id}.customer.start`),
        `${c.id} has its customer.start`,
      );
    }
  });

  it('gives the same facts with the same ids as the aggregate topics and the ground truth', () => {
    assert.deepEqual([...aggregate.keys()].sort(), truth);
    assert.deepEqual([...detail.keys()].sort(), truth);
    assert.equal(inOrder.lookups, 0, 'every wrap-up came with its code');
  });

  it('gives the same values where both carry a field', () => {
    assert.deepEqual(compare(detail, aggregate), []);
    const transfers = [...detail.values()].filter((e) => e.type === 'conversation.transferred');
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'consult'));
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'blind'));
    const wrapups = [...detail.values()].filter((e) => e.type === 'conversation.wrapup');
    assert.ok(wrapups.every((e) => e.type === 'conversation.wrapup' && e.code !== undefined));
    assert.ok(wrapups.some((e) => e.type === 'conversation.wrapup' && e.afterCallWork === 'skipped'));
    const ended = [...detail.values()].filter((e) => e.type === 'conversation.ended');
    assert.ok(ended.every((e) => e.type === 'conversation.ended' && e.durationMs !== undefined));
  });

  it('gives the same facts when every record comes twice and out of order within the hold window', () => {
    for (const seed of [1, 2, 3]) {
      const jitter = shuffled(
        detailFrames.map((_f, i) => (i * 397) % 1_500),
        seed,
      );
      const twice = [...detailFrames, ...detailFrames];
      const { events } = deriveDetail(twice, (f, i) =>
        i < detailFrames.length ? f.at + jitter[i]! : f.at + 300 + jitter[i - detailFrames.length]!,
      );
      const shaken = eventsById(events);
      assert.deepEqual([...shaken.keys()].sort(), truth, `seed ${seed}`);
      assert.deepEqual(compare(shaken, aggregate), [], `seed ${seed}`);
    }
  });
});
