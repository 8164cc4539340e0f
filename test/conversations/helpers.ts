/** Shared helpers for deriver tests: load recorded-style snapshot sequences and summarise what comes out. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeriveResult, WrapupLookup } from '../../src/conversations/index.js';
import { classifyTopic, LifecycleDeriver, parseConversationSnapshot } from '../../src/conversations/index.js';
import type { SimConversation } from '../../src/emulator/world/index.js';
import { type EventSource, eventSubject, type LifecycleEvent } from '../../src/events.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'snapshots');

/**
 * The emulated org the parity tests play to the end (each with its own seed): a dozen agents on four queues, forty
 * contacts, twenty new conversations a minute, no history.
 */
export const SMALL_ORG = {
  agents: 12,
  queues: 4,
  contacts: 40,
  historyDays: 0,
  conversationsPerMinute: 20,
  timeScale: 30,
} as const;

/** One notification frame as the platform sends it. */
export interface Frame {
  topicName: string;
  version: string;
  eventBody: Record<string, unknown>;
  metadata: { CorrelationId: string };
}

/** The frames of a fixture, in the order they were sent. */
export function loadFrames(name: string): Frame[] {
  return readFileSync(join(FIXTURES, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Frame);
}

/** The REST `GET /api/v2/conversations/{id}` answer recorded next to a fixture. */
export function loadRestConversation(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, `rest-${name}.json`), 'utf8')) as Record<string, unknown>;
}

/** Where a frame came from, as the stream layer would describe it. */
export function sourceOf(frame: Frame): EventSource {
  return { kind: 'topic', topic: frame.topicName, correlationId: frame.metadata.CorrelationId };
}

/** Everything a run of frames produced. */
export interface Run {
  events: LifecycleEvent[];
  lookups: WrapupLookup[];
}

/** Feeds frames to the deriver in the order given, collecting events and lookups. */
export function feed(deriver: LifecycleDeriver, frames: Frame[]): Run {
  const run: Run = { events: [], lookups: [] };
  for (const frame of frames) {
    const result: DeriveResult = deriver.ingest(parseConversationSnapshot(frame.eventBody), sourceOf(frame));
    run.events.push(...result.events);
    run.lookups.push(...result.wrapupLookups);
  }
  return run;
}

/** `[type, subject, occurredAt]` of each event: the shape expected lists are written in. */
export function summary(events: LifecycleEvent[]): Array<[string, string, string]> {
  return events.map((e) => [e.type, eventSubject(e), e.occurredAt]);
}

/** Asserts that no fact was emitted twice. */
export function assertUniqueIds(events: LifecycleEvent[]): void {
  const ids = events.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length, `duplicate event ids in ${JSON.stringify(summary(events))}`);
}

/** A deterministic shuffle (mulberry32), so a failing order can be reproduced from its seed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A deep copy of a frame's body, for tests that alter one field of a recorded snapshot. */
export function cloneBody(frame: Frame): Record<string, unknown> {
  return structuredClone(frame.eventBody);
}

/**
 * Snapshot frames (aggregate or per-media topics) through one deriver starting at `now`, the wrap-up codes it asks for
 * then completed from the emulated conversations as the platform holds them.
 */
export function deriveSnapshots(
  frames: ReadonlyArray<{ topic: string; body: unknown }>,
  conversations: readonly SimConversation[],
  now: number,
): LifecycleEvent[] {
  const deriver = new LifecycleDeriver({ now: () => now });
  const events: LifecycleEvent[] = [];
  const lookups = new Map<string, Set<string>>();
  for (const { topic, body } of frames) {
    const use = classifyTopic(topic);
    const source: EventSource = { kind: 'topic', topic };
    const result =
      use.kind === 'media'
        ? deriver.ingestMediaTopic(body, use.media, source)
        : deriver.ingest(parseConversationSnapshot(body), source);
    events.push(...result.events);
    for (const l of result.wrapupLookups) {
      const set = lookups.get(l.conversationId) ?? new Set();
      set.add(l.participantId);
      lookups.set(l.conversationId, set);
    }
  }
  for (const c of conversations) {
    for (const participantId of lookups.get(c.id) ?? []) {
      const w = c.participants.find((p) => p.id === participantId)?.wrapup;
      const wrapup = w && {
        code: w.code,
        durationSeconds: w.durationSeconds,
        endTime: new Date(w.endTime).toISOString(),
      };
      events.push(...deriver.completeWrapup(c.id, participantId, wrapup));
    }
  }
  return events;
}

/** Events by id; fails on an id emitted twice. */
export function eventsById(events: readonly LifecycleEvent[]): Map<string, LifecycleEvent> {
  const map = new Map<string, LifecycleEvent>();
  for (const e of events) {
    assert.ok(!map.has(e.id), `fact ${e.type} ${e.id} emitted twice`);
    map.set(e.id, e);
  }
  return map;
}
