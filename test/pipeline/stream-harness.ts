/**
 * End-to-end harness: an emulator with fast live traffic, a real platform client and a ConversationStream over
 * real HTTP and WebSockets; a fault in the middle; then the stream's events are compared with the emulator's
 * ground truth.
 */
import assert from 'node:assert/strict';
import type { Emulator, StartEmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import {
  type ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
} from '../../src/pipeline/conversation-stream.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/index.js';
import type { WebSocketSource } from '../../src/stream/websocket-source.js';
import { waitFor, waitForAsync } from '../helpers/wait-for.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Scenario {
  emulator: Emulator;
  platform: PlatformClient;
  stream: ConversationStream;
  events: LifecycleEvent[];
  stop(): Promise<void>;
}

/** Heartbeats every 400 ms, so the watchdog (2.5 intervals) trips within a second of silence. */
export const FAST_TIMING = {
  heartbeatIntervalMs: 400,
  backoff: { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 },
  connectTimeoutMs: 2000,
};

export async function startScenario(
  emulatorOptions: StartEmulatorOptions = {},
  streamOptions: Partial<ConversationStreamOptions> = {},
): Promise<Scenario> {
  const emulator = await startEmulator({
    port: 0,
    seed: 11,
    // About 1,200 new conversations a real minute, each over within 8 s or so: the comparison waits for the last
    // wrap-ups, so shorter conversations keep the test short.
    timeScale: 120,
    conversationsPerMinute: 10,
    historyDays: 0,
    heartbeatIntervalMs: FAST_TIMING.heartbeatIntervalMs,
    // Analytics half a second to a second behind: these tests are about faults on the socket, not the lag (which
    // test/conversations/processor.test.ts and test/stream/backfiller.test.ts cover); the stream waits past it.
    analyticsLagMs: 500,
    analyticsLagJitterMs: 500,
    ...emulatorOptions,
  });
  const platform = createPlatformClient({
    region: emulator.url,
    clientId: 'switchboard-demo',
    clientSecret: 'switchboard-demo-secret',
    retry: { maxAttempts: 6, initialDelayMs: 50, maxDelayMs: 500 },
  });
  const stream = createConversationStream({
    platform,
    selection: { queues: 'all', users: 'all' },
    timing: FAST_TIMING,
    lookups: { firstLookAfterMs: 1500 },
    backfillSettings: { settleMs: 1500 },
    ...streamOptions,
  });
  const events: LifecycleEvent[] = [];
  stream.onAny((event) => {
    events.push(event);
  });
  await stream.start();
  return {
    emulator,
    platform,
    stream,
    events,
    async stop() {
      await stream.stop({ drainMs: 2000 });
      await platform.close();
      await emulator.stop();
    },
  };
}

export interface Coverage {
  truth: number;
  delivered: number;
  missing: Array<{ type: string; conversationId: string; occurredAt: string }>;
  duplicates: number;
  unknown: number;
}

/**
 * Lets traffic stop, waits until every conversation has ended (the ground truth is then final) and the stream has
 * recovered, then compares. Facts of conversations still in progress when traffic stopped count too: everything
 * that happened must have been seen. What the emulator sent last may still be on its way, and a recovery may find a
 * fact only on a later try: the comparison waits up to `deliveryMs` for every fact before it counts one missing.
 */
export async function settleAndCompare(
  scenario: Scenario,
  { finishMs = 30_000, deliveryMs = 10_000 }: { finishMs?: number; deliveryMs?: number } = {},
): Promise<Coverage> {
  const world = scenario.emulator.world!;
  world.setTraffic(0);
  // Conversations run on for seconds after the last one starts; the truth is only final once they have all ended.
  await waitFor(() => world.activeConversations === 0, 'every conversation to end', finishMs);
  await recovered(scenario.stream);
  await waitForAsync(
    async () => {
      await recovered(scenario.stream);
      return compare(scenario).missing.length === 0;
    },
    'every fact to be delivered',
    { timeoutMs: deliveryMs, intervalMs: 100 },
  ).catch(() => {}); // what is still missing then is reported by the comparison
  return compare(scenario);
}

/** The stream's events against the emulator's ground truth, now. */
function compare(scenario: Scenario): Coverage {
  const truth = scenario.emulator.world!.groundTruth();
  const seen = new Map<string, number>();
  for (const event of scenario.events) seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
  const truthIds = new Set(truth.map((fact) => fact.id));
  return {
    truth: truth.length,
    delivered: scenario.events.length,
    missing: truth
      .filter((fact) => !seen.has(fact.id))
      .map((fact) => ({ type: fact.type, conversationId: fact.conversationId, occurredAt: fact.occurredAt })),
    duplicates: [...seen.values()].filter((count) => count > 1).length,
    unknown: scenario.events.filter((event) => !truthIds.has(event.id)).length,
  };
}

/** Waits until no gap is being recovered and no wrap-up code is being looked for (each can start the other). */
export async function recovered(stream: ConversationStream): Promise<void> {
  const backfiller = (stream.source as WebSocketSource | undefined)?.backfiller;
  for (;;) {
    await backfiller?.idle();
    await stream.pipeline.idle();
    if (!backfiller?.busy) return;
  }
}

/** Everything that happened was delivered, once, and nothing else was. */
export function assertCovered(coverage: Coverage): void {
  assert.ok(coverage.truth > 50, `enough traffic to mean something (${coverage.truth} facts)`);
  assert.deepEqual(
    coverage.missing.slice(0, 5),
    [],
    `${coverage.missing.length} of ${coverage.truth} facts missing`,
  );
  assert.equal(coverage.duplicates, 0, 'no event id delivered twice');
  assert.equal(coverage.unknown, 0, 'no event that did not happen');
}
