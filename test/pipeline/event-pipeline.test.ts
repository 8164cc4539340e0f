import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { EventPipeline } from '../../src/pipeline/event-pipeline.js';

const fixture = (name: string) => new URL(`../fixtures/snapshots/${name}`, import.meta.url);

function frames(name: string): string[] {
  return readFileSync(fixture(name), 'utf8').split('\n').filter(Boolean);
}

function restConversation(name: string): unknown {
  return JSON.parse(readFileSync(fixture(name), 'utf8'));
}

function pipeline(
  fetchConversation: (id: string) => Promise<unknown> = () => Promise.reject(new Error('offline')),
) {
  const delivered: LifecycleEvent[] = [];
  // The recorded fixtures have no analytics records: lookups go straight to the REST read (no horizon to wait).
  const p = new EventPipeline({
    reader: { readAnalytics: async () => [], readConversation: fetchConversation },
    lookups: { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 },
    deliver: (event) => delivered.push(event),
  });
  return { p, delivered };
}

describe('EventPipeline', () => {
  it('derives every fact once although each frame arrives twice', async () => {
    const name = 'voice-blind-transfers';
    const { p, delivered } = pipeline(async () => restConversation(`rest-${name}.json`));
    for (const frame of frames(`${name}.jsonl`)) {
      p.receiveFrame(frame, 'channel-a');
      p.receiveFrame(frame, 'channel-b');
    }
    await p.idle();
    const ids = delivered.map((event) => event.id);
    assert.equal(new Set(ids).size, ids.length, 'no duplicate ids');
    const types = new Set(delivered.map((event) => event.type));
    for (const type of [
      'conversation.started',
      'participant.joined',
      'conversation.transferred',
      'conversation.ended',
    ]) {
      assert.ok(types.has(type as LifecycleEvent['type']), `emits ${type}`);
    }
    const stats = p.stats();
    assert.equal(stats.eventsTotal, delivered.length);
    assert.equal(stats.conversationSnapshots, frames(`${name}.jsonl`).length * 2);
    const first = delivered[0]!;
    assert.equal(first.source.kind, 'topic');
    p.close();
  });

  it('counts malformed frames and snapshots and goes on', () => {
    const { p, delivered } = pipeline();
    p.receiveFrame('{not json');
    p.receiveFrame(
      JSON.stringify({ topicName: 'v2.users.u1.conversations', eventBody: { participants: [] } }),
    );
    p.receiveFrame(JSON.stringify({ topicName: 'v2.users.u1.presence', eventBody: { id: 'x' } }));
    for (const frame of frames('voice-inbound-basic.jsonl')) p.receiveFrame(frame);
    const stats = p.stats();
    assert.equal(stats.malformed, 2);
    assert.equal(stats.otherTopics, 1);
    assert.ok(delivered.some((event) => event.type === 'conversation.started'));
    p.close();
  });

  it('drops a repeat the deriver no longer remembers, by id', () => {
    const { p, delivered } = pipeline();
    const lines = frames('voice-inbound-basic.jsonl');
    for (const frame of lines) p.receiveFrame(frame);
    const before = delivered.length;
    // A second pipeline state would re-derive; here the deriver forgets, the id memory must not.
    p.processor.deriver.importState({ version: 1, conversations: [] });
    for (const frame of lines) p.receiveFrame(frame);
    assert.equal(delivered.length, before);
    assert.ok(p.stats().duplicatesDropped > 0);
    p.close();
  });

  it('feeds backfilled conversations marked as recovered', async () => {
    const name = 'voice-inbound-basic';
    const { p, delivered } = pipeline(async () => restConversation(`rest-${name}.json`));
    p.receiveRecovered(restConversation(`rest-${name}.json`), { kind: 'backfill', via: 'conversation' });
    await p.idle();
    assert.ok(delivered.length > 0);
    assert.ok(delivered.every((event) => event.source.kind === 'backfill'));
    assert.equal(p.stats().recovered, 1);
    p.close();
  });
});
