/**
 * ConversationProcessor: wrap-up codes read from analytics in batches, looked for again while analytics is behind,
 * read over REST only past the horizon, emitted without a code (flagged) only when that fails too. Driven by the
 * emulated world on one manual clock, so analytics lags exactly as configured and no test waits for real time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AnalyticsConversationRecord,
  ConversationProcessor,
  type ConversationProcessorOptions,
  type ConversationReader,
  LifecycleDeriver,
} from '../../src/conversations/index.js';
import { createWorld, ManualClock, type World } from '../../src/emulator/world/index.js';
import { renderConversation } from '../../src/emulator/world/render.js';
import type { ConversationWrapupEvent, EventSource, LifecycleEvent } from '../../src/events.js';

const LIVE: EventSource = { kind: 'topic', topic: 'v2.routing.queues.q.conversations' };

interface Setup {
  clock: ManualClock;
  world: World;
  processor: ConversationProcessor;
  events: LifecycleEvent[];
  reads: { analytics: string[][]; rest: string[] };
  /** Runs the clock forward in small steps, letting reads settle between them. */
  run(ms: number): Promise<void>;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(
  world: { analyticsLagMs: number; analyticsLagJitterMs?: number },
  options: Partial<ConversationProcessorOptions> = {},
  reader: (world: World, reads: Setup['reads']) => ConversationReader = worldReader,
): Setup {
  const clock = new ManualClock(Date.UTC(2026, 3, 1, 10, 0, 0));
  const events: LifecycleEvent[] = [];
  const reads: Setup['reads'] = { analytics: [], rest: [] };
  let processor: ConversationProcessor | undefined;
  const emulated = createWorld(
    {
      seed: 5,
      agents: 6,
      queues: 2,
      historyDays: 0,
      conversationsPerMinute: 0,
      timeScale: 60,
      analyticsLagJitterMs: 0,
      ...world,
    },
    { publish: (_topic, body) => processor?.ingest(body, LIVE) },
    clock,
  );
  processor = new ConversationProcessor({
    reader: reader(emulated, reads),
    onEvents: (batch) => events.push(...batch),
    deriver: new LifecycleDeriver({ now: () => clock.now() }),
    timers: clock,
    ...options,
  });
  return {
    clock,
    world: emulated,
    processor,
    events,
    reads,
    async run(ms) {
      for (let t = 0; t < ms; t += 100) {
        clock.advance(100);
        await settle();
      }
      await settle();
    },
  };
}

/** Reads the world as the platform would answer: analytics with its lag, REST as it is now. */
function worldReader(world: World, reads: Setup['reads']): ConversationReader {
  return {
    readAnalytics: async (ids) => {
      reads.analytics.push([...ids]);
      return world.analyticsRecords(ids) as AnalyticsConversationRecord[];
    },
    readConversation: async (id) => {
      reads.rest.push(id);
      return renderConversation(world.conversations.get(id)!, () => undefined);
    },
  };
}

const wrapups = (events: LifecycleEvent[]) =>
  events.filter((e): e is ConversationWrapupEvent => e.type === 'conversation.wrapup');

/** The wrap-up codes the world gave each agent leg. */
function codesOf(world: World): Map<string, string> {
  const codes = new Map<string, string>();
  for (const c of world.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER))
    for (const p of c.participants) if (p.wrapup) codes.set(p.id, p.wrapup.code);
  return codes;
}

describe('ConversationProcessor', () => {
  it('reads the codes of many conversations in a few analytics reads, each code once', async () => {
    const s = setup({ analyticsLagMs: 2000 }, { firstLookAfterMs: 3000, batchWindowMs: 1000 });
    for (let i = 0; i < 40; i++)
      s.world.startScriptedConversation({ kind: 'voice', transfer: 'none', durationMs: 60_000 });
    await s.run(30_000);
    await s.processor.idle();
    const expected = codesOf(s.world);
    const emitted = wrapups(s.events);
    assert.equal(emitted.length, expected.size);
    for (const e of emitted) assert.equal(e.code, expected.get(e.participant.participantId));
    assert.equal(new Set(emitted.map((e) => e.id)).size, emitted.length, 'each wrap-up once');
    assert.ok(
      s.reads.analytics.length <= 6,
      `${s.reads.analytics.length} analytics reads for 40 conversations`,
    );
    assert.equal(s.reads.rest.length, 0, 'no REST read');
  });

  it('looks again while analytics is behind, and finds the code when it catches up', async () => {
    // Analytics 20 s behind; the first look after 2 s misses.
    const s = setup(
      { analyticsLagMs: 20_000 },
      { firstLookAfterMs: 2000, batchWindowMs: 500, maxRetryDelayMs: 8000 },
    );
    s.world.startScriptedConversation({ kind: 'voice', transfer: 'none', durationMs: 30_000 });
    await s.run(60_000);
    await s.processor.idle();
    const [wrapup] = wrapups(s.events);
    assert.ok(wrapup?.code, 'the wrap-up came with its code');
    assert.equal(wrapup.codeLookupFailed, undefined);
    const stats = s.processor.stats();
    assert.ok(stats.notCaughtUp >= 2, `${stats.notCaughtUp} looks missed before analytics caught up`);
    assert.equal(stats.restReads, 0);
  });

  it('reads over REST once the horizon passes, and only then', async () => {
    // Analytics never catches up within the horizon (an hour behind).
    const s = setup(
      { analyticsLagMs: 3_600_000 },
      { firstLookAfterMs: 1000, horizonMs: 30_000, maxRetryDelayMs: 5000 },
    );
    s.world.startScriptedConversation({ kind: 'voice', transfer: 'none', durationMs: 30_000 });
    await s.run(20_000);
    assert.equal(wrapups(s.events).length, 0, 'nothing emitted before the horizon');
    assert.equal(s.reads.rest.length, 0);
    await s.run(40_000);
    await s.processor.idle();
    const [wrapup] = wrapups(s.events);
    assert.ok(wrapup?.code, 'the REST read gave the code');
    assert.equal(s.reads.rest.length, 1);
  });

  it('emits the wrap-up without its code, flagged, when the REST read fails too', async () => {
    const s = setup(
      { analyticsLagMs: 3_600_000 },
      { firstLookAfterMs: 1000, horizonMs: 10_000 },
      (world, reads) => ({
        ...worldReader(world, reads),
        readConversation: async () => {
          throw new Error('platform unavailable');
        },
      }),
    );
    // After-call work done (a skipped one without a readable code is no wrap-up at all).
    s.world.startScriptedConversation({
      kind: 'voice',
      transfer: 'none',
      durationMs: 30_000,
      afterCallWork: 'complete',
    });
    await s.run(60_000);
    await s.processor.idle();
    const [wrapup] = wrapups(s.events);
    assert.ok(wrapup);
    assert.equal(wrapup.code, undefined);
    assert.equal(wrapup.codeLookupFailed, true);
    assert.equal(s.processor.stats().fallbacks, 1);
  });

  it('reads fewer ids at once when the platform refuses a batch as too big', async () => {
    const s = setup(
      { analyticsLagMs: 1000 },
      { firstLookAfterMs: 2000, batchWindowMs: 2000, batchSize: 100 },
      (world, reads) => {
        const inner = worldReader(world, reads);
        return {
          ...inner,
          readAnalytics: async (ids) => {
            if (ids.length > 8) throw Object.assign(new Error('At most 8 ids'), { status: 400 });
            return inner.readAnalytics(ids);
          },
        };
      },
    );
    for (let i = 0; i < 30; i++)
      s.world.startScriptedConversation({ kind: 'voice', transfer: 'none', durationMs: 20_000 });
    await s.run(30_000);
    await s.processor.idle();
    assert.equal(wrapups(s.events).filter((e) => e.code).length, codesOf(s.world).size);
    assert.ok(s.processor.stats().batchSize <= 8);
  });

  it('picks up the lookups a restored deriver still owes, and leaves them in the state on close', async () => {
    const s = setup({ analyticsLagMs: 3_600_000 }, { firstLookAfterMs: 1000, horizonMs: 3_600_000 });
    s.world.startScriptedConversation({ kind: 'voice', transfer: 'none', durationMs: 20_000 });
    await s.run(30_000);
    assert.equal(s.processor.stats().queued, 1, 'looking for the code');
    const state = s.processor.deriver.exportState();
    s.processor.close();
    assert.equal(wrapups(s.events).length, 0);

    const events: LifecycleEvent[] = [];
    const deriver = new LifecycleDeriver({ now: () => s.clock.now() });
    deriver.importState(state);
    const resumed = new ConversationProcessor({
      reader: worldReader(s.world, s.reads),
      onEvents: (batch) => events.push(...batch),
      deriver,
      timers: s.clock,
      firstLookAfterMs: 0,
      horizonMs: 0,
    });
    resumed.resumePendingLookups();
    for (let i = 0; i < 10; i++) {
      s.clock.advance(1000);
      await settle();
    }
    await resumed.idle();
    assert.ok(wrapups(events)[0]?.code, 'the restored lookup was answered (over REST: the horizon was 0)');
  });
});
