/**
 * Proactive sends against the platform's request budget, with a stream-like load on the same token.
 *
 * The emulator enforces L requests per rate-limit window (the platform: 300 per minute; here the window is
 * shortened so the run takes seconds, and "per minute" below means "per rate-limit window"). A background load
 * shaped like the event stream's REST use (gap backfill: `GET /api/v2/conversations/{id}`) takes about a tenth
 * of the budget through the same platform client, hence the same token and the same pacing. The engine sweeps a
 * large population of returning web messaging customers and sends to each (a contact lookup and a send per
 * customer; their history comes with the sweep's own paged analytics queries).
 *
 * Measured over whole windows between the engine's first and last send (when it has customers queued):
 * - `sendsPerMinute`: messages sent per rate-limit window;
 * - `budgetShareForSends`: of the budget the stream-like load left, the share the engine's send pipeline used
 *   (its sends and the lookups each send needs), against a baseline measured in the same run — a saturating load
 *   of cheap requests through an identical client next to the same stream-like load; the target is ≥ 0.95;
 * - `http429AfterFirst`: 429 answers after the first one (the target is 0: pacing, not retrying).
 * `pacingEfficiency` reports what the platform client makes of the budget at all: (baseline + stream) / limit.
 */
import { performance } from 'node:perf_hooks';
import { startEmulator } from '../src/emulator/index.js';
import { createPlatformClient, type PlatformRequest } from '../src/platform/index.js';
import { defineRules, type PlatformRequester, ProactiveEngine } from '../src/proactive/index.js';
import { ledgerOf, openSqliteStore } from '../src/store/index.js';

export interface ProactiveBenchOptions {
  /** Requests per rate-limit window (default 120). */
  limit?: number;
  /** Rate-limit window in ms (default 2,000: a "minute" of the platform in 2 s). */
  windowMs?: number;
  /** Share of the budget the stream-like load asks for (default 0.1). */
  streamShare?: number;
  /** External contacts in the emulated org: the population the sweep finds (default 400). */
  contacts?: number;
}

export interface ProactiveBenchResult {
  /** Messages sent per rate-limit window (a minute on the platform). */
  sendsPerMinute: number;
  /** Engine requests per window / what the same client delivers to a saturating load next to the same stream. */
  budgetShareForSends: number;
  /** 429 answers after the first one. */
  http429AfterFirst: number;
  limit: number;
  windowMs: number;
  measuredWindows: number;
  sends: number;
  engineRequestsPerWindow: number;
  baselineRequestsPerWindow: number;
  streamRequestsPerWindow: number;
  /** (baseline + stream) per window / limit: what the platform client's pacing makes of the budget. */
  pacingEfficiency: number;
  requestsPerSend: number;
  elapsedMs: number;
}

const AGENTLESS = '/api/v2/conversations/messages/agentless';

interface Timeline {
  /** Completion times (performance.now) of the measured load's requests; `send` marks agentless sends. */
  load: { at: number; send: boolean }[];
  stream: number[];
  started: number;
  finished: number;
  rateLimited: number;
  sends: number;
}

/**
 * Per-window rates while the measured load was saturated: for the engine, from its first send to its last (the
 * sweep's paged analytics reads before the first send are one request at a time); for the baseline, everything
 * but its last window.
 */
function rates(timeline: Timeline, windowMs: number) {
  const sends = timeline.load.filter((r) => r.send);
  const first = (sends[0] ?? timeline.load[0])?.at ?? timeline.started;
  const last = sends.length > 0 ? sends.at(-1)!.at : timeline.finished - windowMs;
  const windows = Math.max(1, Math.floor((last - first) / windowMs));
  const to = first + windows * windowMs;
  const inRange = (t: number) => t >= first && t < to;
  const load = timeline.load.filter((r) => inRange(r.at));
  return {
    windows,
    loadPerWindow: load.length / windows,
    sendsPerWindow: load.filter((r) => r.send).length / windows,
    streamPerWindow: timeline.stream.filter(inRange).length / windows,
  };
}

/** A stream-like background load on `client`: `perWindow` backfill reads per window until `running()` is false. */
async function streamLoad(
  client: PlatformRequester,
  ids: string[],
  perWindow: number,
  windowMs: number,
  running: () => boolean,
  times: number[],
): Promise<void> {
  const pending: Promise<void>[] = [];
  for (let i = 0; running(); i++) {
    const path = ids.length > 0 ? `/api/v2/conversations/${ids[i % ids.length]}` : '/api/v2/tokens/me';
    pending.push(
      client.request({ method: 'GET', path }).then(
        () => {
          times.push(performance.now());
        },
        () => undefined,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, windowMs / perWindow));
  }
  await Promise.all(pending);
}

/**
 * The shared client. Its budget sits one request under the server's limit: the platform reports the window's reset
 * in whole seconds, and a client that fills the server's window to the last request must then wait out that
 * rounding (up to a second per window — nothing on a 60 s window, a large share of the shortened windows used
 * here). One request of headroom keeps the server's count below its limit, so the client's own pacing governs.
 */
function budgetClient(url: string, limit: number, windowMs: number) {
  return createPlatformClient({
    region: url,
    clientId: 'switchboard-demo',
    clientSecret: 'switchboard-demo-secret',
    rateLimit: { requestsPerWindow: limit - 1, windowMs, adoptServerLimit: false },
  });
}

/** The engine sweeping a large population of returning customers, next to the stream-like load. */
async function engineRun(
  limit: number,
  windowMs: number,
  streamPerWindow: number,
  contacts: number,
): Promise<Timeline> {
  const emulator = await startEmulator({
    port: 0,
    seed: 8080,
    rateLimitPerMinute: limit,
    rateLimitWindowMs: windowMs,
    contacts,
    historyDays: 7,
    historyConversationsPerDay: 250,
    conversationsPerMinute: 0,
    mix: { voice: 0, webmessaging: 100, sms: 0, whatsapp: 0, open: 0, email: 0, callback: 0 },
  });
  const client = budgetClient(emulator.url, limit, windowMs);
  const store = openSqliteStore({ path: ':memory:' });
  const timeline: Timeline = { load: [], stream: [], started: 0, finished: 0, rateLimited: 0, sends: 0 };
  // The engine's view of the client: the same client (same token, same budget), each completion noted.
  const engineClient: PlatformRequester = {
    async request<T>(request: PlatformRequest) {
      const reply = await client.request<T>(request);
      timeline.load.push({ at: performance.now(), send: request.path === AGENTLESS });
      return reply;
    },
  };
  const ids = emulator.world!.conversations.startedBetween(0, Number.MAX_SAFE_INTEGER).map((c) => c.id);
  let running = true;
  const background = streamLoad(client, ids, streamPerWindow, windowMs, () => running, timeline.stream);
  const engine = new ProactiveEngine({
    rules: defineRules({
      settings: { sendsPerMinute: 1_000_000, concurrency: 16 },
      rules: [
        {
          id: 'bench-sweep',
          trigger: { schedule: { every: '1h', lookback: '7d' } },
          history: { minConversations: 1, withinDays: 7 },
          channels: ['sms'],
          message: { text: 'Hi {{contact.firstName | "there"}}, thanks for talking to us this week.' },
          policy: { quietHours: false },
        },
      ],
    }),
    client: engineClient,
    ledger: ledgerOf(store),
  });
  timeline.started = performance.now();
  try {
    timeline.sends = (await engine.runOnce()).counts.sent ?? 0;
  } finally {
    timeline.finished = performance.now();
    running = false;
    await background;
    timeline.rateLimited = client.stats().rateLimited;
    await client.close();
    await store.close();
    await emulator.stop();
  }
  return timeline;
}

/** The baseline: as many cheap requests as the same client will pace, next to the same stream-like load. */
async function baselineRun(
  limit: number,
  windowMs: number,
  streamPerWindow: number,
  durationMs: number,
): Promise<Timeline> {
  const emulator = await startEmulator({
    port: 0,
    rateLimitPerMinute: limit,
    rateLimitWindowMs: windowMs,
    world: false,
  });
  const client = budgetClient(emulator.url, limit, windowMs);
  const timeline: Timeline = {
    load: [],
    stream: [],
    started: performance.now(),
    finished: 0,
    rateLimited: 0,
    sends: 0,
  };
  let running = true;
  const background = streamLoad(client, [], streamPerWindow, windowMs, () => running, timeline.stream);
  const worker = async () => {
    while (running) {
      await client.request({ method: 'GET', path: '/api/v2/tokens/me' });
      timeline.load.push({ at: performance.now(), send: false });
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  running = false;
  timeline.finished = performance.now();
  await Promise.all([...workers, background]);
  timeline.rateLimited = client.stats().rateLimited;
  await client.close();
  await emulator.stop();
  return timeline;
}

/** Runs the benchmark (about 30 s). */
export async function benchProactive(options: ProactiveBenchOptions = {}): Promise<ProactiveBenchResult> {
  const limit = options.limit ?? 120;
  const windowMs = options.windowMs ?? 2000;
  const streamPerWindow = Math.max(1, Math.round(limit * (options.streamShare ?? 0.1)));
  const engine = await engineRun(limit, windowMs, streamPerWindow, options.contacts ?? 400);
  const baseline = await baselineRun(limit, windowMs, streamPerWindow, engine.finished - engine.started);
  const measured = rates(engine, windowMs);
  const reference = rates(baseline, windowMs);
  const round = (value: number, places = 3) => Math.round(value * 10 ** places) / 10 ** places;
  return {
    sendsPerMinute: round(measured.sendsPerWindow, 1),
    budgetShareForSends: round(measured.loadPerWindow / reference.loadPerWindow),
    http429AfterFirst: Math.max(0, engine.rateLimited - 1),
    limit,
    windowMs,
    measuredWindows: measured.windows,
    sends: engine.sends,
    engineRequestsPerWindow: round(measured.loadPerWindow, 1),
    baselineRequestsPerWindow: round(reference.loadPerWindow, 1),
    streamRequestsPerWindow: round(measured.streamPerWindow, 1),
    pacingEfficiency: round((reference.loadPerWindow + reference.streamPerWindow) / limit),
    requestsPerSend: engine.sends > 0 ? round(engine.load.length / engine.sends, 2) : 0,
    elapsedMs: Math.round(engine.finished - engine.started),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchProactive().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
