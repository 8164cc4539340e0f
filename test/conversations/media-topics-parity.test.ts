/**
 * Per-media topics and aggregate topics of the same emulated conversations give the same events: the same ids, and
 * the same fields where both carry them. The world publishes every change both as a whole snapshot (aggregate
 * topics) and as its media's flattened view (per-media topics); each recording is derived on its own, and the two
 * mixed in the order they were published dedupe to one event per fact. Checked over every shape the emulated world
 * makes (blind and consult transfers to queues and users, missed offers, parked messages, skipped after-call work,
 * every media) and a stretch of live traffic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTopic } from '../../src/conversations/index.js';
import {
  createWorld,
  ManualClock,
  type SimConversation,
  TRANSFER_KINDS,
} from '../../src/emulator/world/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { deriveSnapshots, eventsById, SMALL_ORG } from './helpers.js';

const START = Date.UTC(2026, 2, 10, 9, 0, 0);

interface Frame {
  topic: string;
  body: unknown;
}

interface Recording {
  frames: Frame[];
  conversations: SimConversation[];
  truthIds: string[];
}

/** Plays scripted conversations of every shape and ten minutes of live traffic, to the end of each. */
function record(): Recording {
  const clock = new ManualClock(START);
  const frames: Frame[] = [];
  const world = createWorld(
    { seed: 7, ...SMALL_ORG },
    // Subscribed to everything: each change goes to the aggregate and the per-media topics alike.
    { publish: (topic, body) => frames.push({ topic, body }), subscribed: () => true },
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
  clock.advance(10 * 60_000);
  world.setTraffic(0);
  clock.advance(60 * 60_000);
  const conversations = world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER);
  const truthIds = world.groundTruth().map((f) => f.id);
  world.stop();
  return { frames, conversations, truthIds };
}

/** Fields that differ between two events of the same fact (where they came from and when they were seen aside). */
function differences(a: LifecycleEvent, b: LifecycleEvent): string[] {
  const out: string[] = [];
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    if (key === 'source' || key === 'observedAt') continue;
    if (JSON.stringify(left[key]) !== JSON.stringify(right[key]))
      out.push(`${a.type} ${key}: ${JSON.stringify(left[key])} ≠ ${JSON.stringify(right[key])}`);
  }
  return out;
}

function compare(events: Map<string, LifecycleEvent>, reference: Map<string, LifecycleEvent>): string[] {
  return [...events.values()].flatMap((e) => {
    const other = reference.get(e.id);
    return other ? differences(e, other) : [`${e.type} ${e.id} only on one side`];
  });
}

describe('per-media topics and aggregate topics', () => {
  const recording = record();
  const aggregateFrames = recording.frames.filter((f) => classifyTopic(f.topic).kind === 'aggregate');
  const mediaFrames = recording.frames.filter((f) => classifyTopic(f.topic).kind === 'media');
  const aggregate = eventsById(deriveSnapshots(aggregateFrames, recording.conversations, START));
  const media = eventsById(deriveSnapshots(mediaFrames, recording.conversations, START));
  const truth = [...new Set(recording.truthIds)].sort();

  it('records every conversation through both kinds of topic, per-media bodies flattened', () => {
    assert.ok(recording.conversations.length > 30, `${recording.conversations.length} conversations played`);
    assert.ok(
      recording.conversations.every((c) => c.endTime !== undefined),
      'every conversation ended',
    );
    assert.equal(mediaFrames.length, aggregateFrames.length, 'one per-media frame per aggregate frame');
    const suffixes = new Set(mediaFrames.map((f) => f.topic.split('.').at(-1)));
    assert.deepEqual([...suffixes].sort(), ['callbacks', 'calls', 'emails', 'messages']);
    for (const { body } of mediaFrames) {
      for (const p of (body as { participants: Record<string, unknown>[] }).participants) {
        assert.equal(typeof p.state, 'string', 'the leg state on the participant');
        for (const key of ['calls', 'callbacks', 'emails', 'startTime', 'afterCallWork'])
          assert.ok(!(key in p), `no ${key}`);
      }
    }
  });

  it('gives the same facts with the same ids as the aggregate topics and the ground truth', () => {
    assert.deepEqual([...aggregate.keys()].sort(), truth);
    assert.deepEqual([...media.keys()].sort(), truth);
  });

  it('gives the same fields', () => {
    assert.deepEqual(compare(media, aggregate), []);
    // Not vacuous: the facts that depend on the shape are there, with their details.
    const transfers = [...media.values()].filter((e) => e.type === 'conversation.transferred');
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'consult'));
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'blind'));
    const wrapups = [...media.values()].filter((e) => e.type === 'conversation.wrapup');
    assert.ok(wrapups.some((e) => e.type === 'conversation.wrapup' && e.afterCallWork === 'skipped'));
    assert.ok(wrapups.some((e) => e.type === 'conversation.wrapup' && e.durationSeconds !== undefined));
    const ended = [...media.values()].filter((e) => e.type === 'conversation.ended');
    assert.ok(ended.every((e) => e.type === 'conversation.ended' && e.durationMs !== undefined));
  });

  it('dedupes a mix of both kinds, as published, to one event per fact', () => {
    const mixed = eventsById(deriveSnapshots(recording.frames, recording.conversations, START));
    assert.deepEqual([...mixed.keys()].sort(), truth);
    assert.deepEqual(compare(mixed, aggregate), []);
  });
});
