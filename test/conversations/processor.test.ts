import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ConversationProcessor,
  type DerivedWrapupEvent,
  type DeriverCheckpoint,
  LifecycleDeriver,
  parseConversationSnapshot,
} from '../../src/conversations/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { type Frame, loadFrames, loadRestConversation, sourceOf } from './helpers.js';
import { ConversationRestServer, httpFetchConversation } from './rest-server.js';

const BASIC = '0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01';
const BASIC_AGENT = '3eb81865-7076-42d4-b2f1-70af40f94e1d';
const CODE_RESOLVED = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e01';

/** The basic voice fixture and its REST answer under another conversation id. */
function basicAs(conversationId: string): { frames: Frame[]; rest: Record<string, unknown> } {
  const swap = <T>(value: T): T => JSON.parse(JSON.stringify(value).replaceAll(BASIC, conversationId)) as T;
  return {
    frames: swap(loadFrames('voice-inbound-basic')),
    rest: swap(loadRestConversation('voice-inbound-basic')),
  };
}

function wrapups(events: LifecycleEvent[]): DerivedWrapupEvent[] {
  return events.filter((e): e is DerivedWrapupEvent => e.type === 'conversation.wrapup');
}

describe('ConversationProcessor', () => {
  const server = new ConversationRestServer();
  let baseUrl = '';

  before(async () => {
    baseUrl = await server.start();
  });
  after(async () => {
    await server.close();
  });

  function processor(
    events: LifecycleEvent[],
    options: Partial<ConstructorParameters<typeof ConversationProcessor>[0]> = {},
  ): ConversationProcessor {
    return new ConversationProcessor({
      fetchConversation: httpFetchConversation(baseUrl),
      onEvents: (batch) => events.push(...batch),
      retryDelayMs: 10,
      ...options,
    });
  }

  function feedAll(p: ConversationProcessor, frames: Frame[]): void {
    for (const frame of frames) p.ingest(frame.eventBody, sourceOf(frame));
  }

  it('reads each conversation once and emits every wrap-up with its code, once', async () => {
    server.script(BASIC, [{ body: loadRestConversation('voice-inbound-basic') }]);
    server.script('d2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49', [
      { body: loadRestConversation('voice-consult-transfer') },
    ]);
    server.script('3c8e5a1f-9d2b-4f7e-b6a4-0c2e4f6a8b57', [{ body: loadRestConversation('email-inbound') }]);
    const requestsBefore = server.requests.length;
    const events: LifecycleEvent[] = [];
    const p = processor(events);
    feedAll(p, loadFrames('voice-inbound-basic'));
    feedAll(p, loadFrames('voice-consult-transfer'));
    feedAll(p, loadFrames('email-inbound'));
    await p.idle();
    const codes = wrapups(events).map((e) => [e.conversationId, e.participant.participantId, e.code]);
    assert.deepEqual(codes.sort(), [
      ['0b6f1d2e-3c4a-4b5c-9d6e-7f8a9b0c1d01', BASIC_AGENT, CODE_RESOLVED],
      [
        '3c8e5a1f-9d2b-4f7e-b6a4-0c2e4f6a8b57',
        '2903e70d-80a3-43bc-841e-47b0144b5c03',
        'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e05',
      ],
      ['d2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49', '10852821-6c94-41d8-9183-6eb817e593d0', CODE_RESOLVED],
      [
        'd2a9f5c8-7b6e-4f1a-a3c4-8e0b1d2f3a49',
        '2cf35c11-1807-4640-a97d-e34c26a8b5d5',
        'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e03',
      ],
    ]);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    // The consult conversation needed two lookups at different times: at most two reads, never one per frame.
    assert.ok(server.requests.length - requestsBefore <= 4);
    assert.equal(p.stats().fallbacks, 0);
    assert.equal(p.deriver.pendingWrapupLookups().length, 0);
  });

  it('keeps at most `concurrency` reads in flight', async () => {
    server.delayMs = 40;
    server.maxConcurrent = 0;
    const events: LifecycleEvent[] = [];
    const p = processor(events, { concurrency: 2 });
    const ids = [1, 2, 3, 4, 5, 6].map((n) => `0b6f1d2e-3c4a-4b5c-9d6e-00000000000${n}`);
    for (const id of ids) {
      const { frames, rest } = basicAs(id);
      server.script(id, [{ body: rest }]);
      feedAll(p, frames);
    }
    assert.equal(p.stats().inFlight, 2);
    await p.idle();
    server.delayMs = 0;
    assert.equal(server.maxConcurrent, 2);
    assert.equal(wrapups(events).length, 6);
    assert.ok(wrapups(events).every((e) => e.code === CODE_RESOLVED));
  });

  it('retries a failed read and emits the code when a later read succeeds', async () => {
    const id = '0b6f1d2e-3c4a-4b5c-9d6e-0000000000a1';
    const { frames, rest } = basicAs(id);
    server.script(id, [{ status: 503 }, { body: rest }]);
    const events: LifecycleEvent[] = [];
    const p = processor(events);
    feedAll(p, frames);
    await p.idle();
    assert.deepEqual(
      wrapups(events).map((e) => [e.code, e.codeLookupFailed]),
      [[CODE_RESOLVED, undefined]],
    );
    assert.equal(p.stats().fetchFailures, 1);
  });

  it('waits for REST to catch up with the after-call work before settling', async () => {
    const id = '0b6f1d2e-3c4a-4b5c-9d6e-0000000000a2';
    const { frames, rest } = basicAs(id);
    const stale = structuredClone(rest) as { participants: Array<Record<string, unknown>> };
    const agent = stale.participants.find((x) => x.id === BASIC_AGENT)!;
    delete agent.wrapup;
    delete agent.endAcwTime;
    (agent.calls as Array<Record<string, unknown>>)[0]!.afterCallWork = { state: 'pending' };
    server.script(id, [{ body: stale }, { body: rest }]);
    const events: LifecycleEvent[] = [];
    const p = processor(events);
    feedAll(p, frames);
    await p.idle();
    assert.deepEqual(
      wrapups(events).map((e) => e.code),
      [CODE_RESOLVED],
    );
    assert.equal(p.stats().notCaughtUp, 1);
  });

  it('emits the wrap-up without its code, flagged, after maxAttempts failed reads', async () => {
    const id = '0b6f1d2e-3c4a-4b5c-9d6e-0000000000a3';
    const { frames } = basicAs(id);
    server.script(id, [{ status: 503 }]);
    const before = server.requests.filter((r) => r === id).length;
    const events: LifecycleEvent[] = [];
    const p = processor(events, { maxAttempts: 3 });
    feedAll(p, frames);
    await p.idle();
    assert.equal(server.requests.filter((r) => r === id).length - before, 3);
    const [wrapup, ...more] = wrapups(events);
    assert.equal(more.length, 0);
    assert.equal(wrapup?.code, undefined);
    assert.equal(wrapup?.codeLookupFailed, true);
    assert.equal(wrapup?.afterCallWork, 'complete');
    assert.equal(p.stats().fallbacks, 1);
    // A late duplicate of the ACW frame does not start it all again.
    feedAll(p, frames.slice(-1));
    await p.idle();
    assert.equal(wrapups(events).length, 1);
  });

  it('picks up the lookups a restored deriver still owes', async () => {
    const id = '0b6f1d2e-3c4a-4b5c-9d6e-0000000000a4';
    const { frames, rest } = basicAs(id);
    const first = new LifecycleDeriver();
    for (const frame of frames) first.ingest(parseConversationSnapshot(frame.eventBody), sourceOf(frame));
    const checkpoint = JSON.parse(JSON.stringify(first.exportState())) as DeriverCheckpoint;
    server.script(id, [{ body: rest }]);
    const restored = new LifecycleDeriver();
    restored.importState(checkpoint);
    const events: LifecycleEvent[] = [];
    const p = processor(events, { deriver: restored });
    p.resumePendingLookups();
    await p.idle();
    assert.deepEqual(
      events.map((e) => [e.type, (e as DerivedWrapupEvent).code]),
      [['conversation.wrapup', CODE_RESOLVED]],
    );
  });

  it('stops retrying on close, leaving the lookup in the checkpoint', async () => {
    const id = '0b6f1d2e-3c4a-4b5c-9d6e-0000000000a5';
    const { frames } = basicAs(id);
    server.script(id, [{ status: 503 }]);
    const events: LifecycleEvent[] = [];
    const p = processor(events, { retryDelayMs: 60_000 });
    feedAll(p, frames);
    while (p.stats().retrying === 0) await new Promise((r) => setTimeout(r, 5));
    p.close();
    await p.idle();
    assert.equal(p.stats().retrying, 0);
    assert.deepEqual(wrapups(events), []);
    assert.deepEqual(p.deriver.pendingWrapupLookups(), [{ conversationId: id, participantId: BASIC_AGENT }]);
  });
});
