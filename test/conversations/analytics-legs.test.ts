/**
 * Deriving from analytics records gives the same facts, with the same ids, as deriving from notification snapshots:
 * an analytics-derived event may carry fewer fields, never different ones. Checked over every shape the emulated
 * world makes (transfers blind and consult, missed offers, parked messages, skipped after-call work, every media)
 * and over live traffic, with the final records and with every intermediate record in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LifecycleDeriver, parseConversationSnapshot } from '../../src/conversations/index.js';
import { renderAnalyticsConversation } from '../../src/emulator/world/analytics.js';
import {
  createWorld,
  ManualClock,
  type SimConversation,
  TRANSFER_KINDS,
} from '../../src/emulator/world/index.js';
import { renderConversation } from '../../src/emulator/world/render.js';
import type { EventSource, LifecycleEvent } from '../../src/events.js';
import { SMALL_ORG } from './helpers.js';

const LIVE: EventSource = { kind: 'topic', topic: 'v2.routing.queues.x.conversations' };
const ANALYTICS: EventSource = { kind: 'backfill', via: 'analytics' };

interface Played {
  /** Every notification body in the order published. */
  notifications: Array<{ id: string; body: unknown }>;
  /** Analytics records of each conversation after each change, in order. */
  records: Array<{ id: string; record: unknown }>;
  conversations: SimConversation[];
  truthIds: Set<string>;
}

/** Plays scripted conversations of every shape and a few minutes of live traffic to the end. */
function play(): Played {
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 9, 0, 0));
  const notifications: Played['notifications'] = [];
  const records: Played['records'] = [];
  const seenAt = new Set<string>();
  const world = createWorld(
    { seed: 99, ...SMALL_ORG },
    {
      publish: (_topic, body) => {
        const id = (body as { id: string }).id;
        notifications.push({ id, body });
        const conversation = world.conversations.get(id)!;
        // One record per change (the same snapshot goes to several topics).
        const key = `${id}|${notifications.length}|${JSON.stringify(body).length}`;
        if (!seenAt.has(key)) {
          seenAt.add(key);
          records.push({ id, record: renderAnalyticsConversation(conversation) });
        }
      },
    },
    clock,
  );
  for (const transfer of TRANSFER_KINDS) {
    world.startScriptedConversation({ kind: 'voice', transfer });
    world.startScriptedConversation({ kind: 'webmessaging', transfer });
  }
  world.startScriptedConversation({ kind: 'voice', missedAlert: true, transfer: 'none' });
  world.startScriptedConversation({ kind: 'voice', afterCallWork: 'skipped', transfer: 'blind-user' });
  world.startScriptedConversation({ kind: 'webmessaging', park: true, transfer: 'none' });
  for (const kind of ['sms', 'whatsapp', 'open', 'email', 'callback'] as const)
    world.startScriptedConversation({ kind, transfer: 'none' });
  world.start();
  clock.advance(10 * 60_000);
  world.setTraffic(0);
  clock.advance(60 * 60_000);
  const conversations = world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER);
  const truthIds = new Set(world.groundTruth().map((f) => f.id));
  world.stop();
  return { notifications, records, conversations, truthIds };
}

/** The events of the snapshot path: every notification, then the REST read for the wrap-up codes. */
function viaSnapshots(played: Played): Map<string, LifecycleEvent> {
  const deriver = new LifecycleDeriver({ now: () => Date.UTC(2026, 2, 10, 9, 0, 0) });
  const events = new Map<string, LifecycleEvent>();
  const lookups = new Set<string>();
  for (const { body } of played.notifications) {
    const result = deriver.ingest(parseConversationSnapshot(body), LIVE);
    for (const e of result.events) events.set(e.id, e);
    for (const l of result.wrapupLookups) lookups.add(l.conversationId);
  }
  for (const c of played.conversations) {
    if (!lookups.has(c.id)) continue;
    const rest = renderConversation(c, () => undefined);
    for (const e of deriver.ingestRestConversation(rest).events) events.set(e.id, e);
  }
  return events;
}

function viaAnalytics(records: Array<{ record: unknown }>): Map<string, LifecycleEvent> {
  const deriver = new LifecycleDeriver({ now: () => Date.UTC(2026, 2, 10, 9, 0, 0) });
  const events = new Map<string, LifecycleEvent>();
  for (const { record } of records) {
    for (const e of deriver.ingestAnalytics(record as never, ANALYTICS).events) {
      assert.ok(!events.has(e.id), `fact ${e.type} ${e.id} emitted twice`);
      events.set(e.id, e);
    }
  }
  return events;
}

/** Fields of `sparse` that differ from `full` (envelope bookkeeping aside). */
function differences(sparse: LifecycleEvent, full: LifecycleEvent): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(sparse)) {
    if (key === 'source' || key === 'observedAt') continue;
    const other = (full as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(value) !== JSON.stringify(other))
      out.push(`${sparse.type} ${key}: ${JSON.stringify(value)} ≠ ${JSON.stringify(other)}`);
  }
  return out;
}

describe('deriving from analytics records', () => {
  const played = play();
  const snapshots = viaSnapshots(played);

  it('covers the same facts as the snapshots and the ground truth', () => {
    assert.ok(played.conversations.length > 30, `${played.conversations.length} conversations played`);
    assert.ok(
      played.conversations.every((c) => c.endTime !== undefined),
      'every conversation ended',
    );
    const finals = played.conversations.map((c) => ({ record: renderAnalyticsConversation(c) }));
    const analytics = viaAnalytics(finals);
    assert.deepEqual([...analytics.keys()].sort(), [...played.truthIds].sort());
    assert.deepEqual([...snapshots.keys()].sort(), [...played.truthIds].sort());
  });

  it('carries the same fields as the snapshot path where both carry them', () => {
    const finals = played.conversations.map((c) => ({ record: renderAnalyticsConversation(c) }));
    const analytics = viaAnalytics(finals);
    const problems = [...analytics.values()].flatMap((e) => differences(e, snapshots.get(e.id)!));
    assert.deepEqual(problems, []);
    // Sparser, not empty: codes, queues and transfer kinds come through.
    const wrapups = [...analytics.values()].filter((e) => e.type === 'conversation.wrapup');
    assert.ok(
      wrapups.length > 10 && wrapups.every((e) => e.type === 'conversation.wrapup' && e.code !== undefined),
    );
    const transfers = [...analytics.values()].filter((e) => e.type === 'conversation.transferred');
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'consult'));
    assert.ok(transfers.some((e) => e.type === 'conversation.transferred' && e.transferType === 'blind'));
  });

  it('derives nothing wrong from the records in between, each fact once', () => {
    const analytics = viaAnalytics(played.records);
    assert.deepEqual([...analytics.keys()].sort(), [...played.truthIds].sort());
    const problems = [...analytics.values()].flatMap((e) => differences(e, snapshots.get(e.id)!));
    assert.deepEqual(problems, []);
  });
});
