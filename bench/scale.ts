/**
 * `scale`: the stream against a large contact centre at the platform's default limits — 300 requests a minute for
 * the token (the emulator enforces it, the client paces to it), analytics a few seconds behind, wrap-up codes absent
 * from notifications — with the emulator in its own process (`switchboard emulator --profile large`).
 *
 * - Steady state: about 1,000 new conversations a minute and about 5,000 live. Every fact delivered (checked against
 *   the emulator's ground truth), p99 from when each fact was knowable to emit — its `occurredAt`, or for a start
 *   in the IVR its first notification (`observableAt`: no topic shows it before) — for wrap-ups and the rest, REST requests
 *   per conversation (every call the stream makes).
 * - Recovery: the same load, a 30 s network blackout (every socket cut, every connection refused). p99 of the waits
 *   of channel calls for a budget slot, and the time from reconnecting until every fact of the gap is delivered.
 * - Growth: the requests and the time recovery from the same blackout takes with 500, 2,000 and 5,000 live
 *   conversations (the arrival rate fixed, the conversations longer).
 *
 * It runs for a quarter of an hour or so (the 5,000 live take five minutes to build up); `--quick` runs a smaller,
 * shorter version of each part. Not part of CI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { LifecycleEvent } from '../src/events.js';
import { type ConversationStream, createConversationStream } from '../src/pipeline/conversation-stream.js';
import { createPlatformClient, type PlatformClient } from '../src/platform/index.js';
import type { WebSocketSource } from '../src/stream/websocket-source.js';

interface Fact {
  id: string;
  type: string;
  occurredAt: string;
  /** When a client following topics could first know it (later than `occurredAt` for what happened in the IVR). */
  observableAt?: string;
}

/** From when a fact's latency counts: the first moment any client could have known it. */
const knowableAt = (fact: Fact) => Date.parse(fact.observableAt ?? fact.occurredAt);

export interface SteadyResult {
  liveConversations: number;
  newConversationsPerMinute: number;
  windowSeconds: number;
  factsInWindow: number;
  missing: number;
  duplicates: number;
  unknown: number;
  p99NonWrapupMs: number;
  p99WrapupMs: number;
  requests: number;
  conversations: number;
  requestsPerConversation: number;
  rateLimited: number;
}

export interface RecoveryResult {
  liveConversations: number;
  blackoutSeconds: number;
  reconnectedAfterMs: number;
  /** From reconnecting until every fact of the gap was delivered. */
  gapCompleteAfterReconnectMs: number | undefined;
  gapFacts: number;
  missing: number;
  missingByType: Record<string, number>;
  /** REST requests from the blackout until the gap was complete. */
  requests: number;
  channelWaitP99Ms: number;
  channelWaitMaxMs: number;
  rateLimited: number;
}

export interface ScaleResult {
  steady: SteadyResult;
  recovery: RecoveryResult;
  growth: RecoveryResult[];
  elapsedSeconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `switchboard emulator` in a child process and waits for its URL. */
async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/bin.ts', 'emulator', '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}): ${out}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function admin<T>(url: string, path: string, body?: unknown): Promise<T> {
  const reply = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return (await reply.json()) as T;
}

interface Run {
  emulator: EmulatorProcess;
  platform: PlatformClient;
  stream: ConversationStream;
  /** Every event with the moment it was emitted. */
  emitted: Array<{ event: LifecycleEvent; at: number }>;
  live(): Promise<number>;
  truth(since?: number, until?: number): Promise<Fact[]>;
  stop(): Promise<void>;
}

/** The emulator (large profile, `timeScale` deciding how long conversations last) and the stream against it. */
async function startRun(timeScale: number, quick: boolean): Promise<Run> {
  // 1,000 new conversations a real minute whatever the time scale (arrivals are counted per emulated minute).
  const perRealMinute = quick ? 400 : 1000;
  const emulator = await startEmulatorProcess([
    '--profile',
    'large',
    '--seed',
    '7',
    '--time-scale',
    String(timeScale),
    '--traffic',
    String(perRealMinute / timeScale),
    '--rate-limit',
    '300',
  ]);
  const platform = createPlatformClient({
    region: emulator.url,
    clientId: 'switchboard-demo',
    clientSecret: 'switchboard-demo-secret',
  });
  const stream = createConversationStream({ platform, selection: { queues: 'all', users: 'all' } });
  const emitted: Run['emitted'] = [];
  stream.onAny((event) => {
    emitted.push({ event, at: Date.now() });
  });
  await stream.start();
  return {
    emulator,
    platform,
    stream,
    emitted,
    live: async () =>
      (await admin<{ world: { activeConversations: number } }>(emulator.url, '/__emulator/status')).world
        .activeConversations,
    truth: async (since, until) => {
      const query = new URLSearchParams();
      if (since !== undefined) query.set('since', new Date(since).toISOString());
      if (until !== undefined) query.set('until', new Date(until).toISOString());
      return (await admin<{ facts: Fact[] }>(emulator.url, `/__emulator/ground-truth?${query}`)).facts;
    },
    async stop() {
      await stream.stop({ drainMs: 1000 });
      await platform.close();
      await emulator.stop();
    },
  };
}

async function rampUp(run: Run, target: number, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  let live = await run.live();
  while (live < target && Date.now() < deadline) {
    await sleep(5000);
    live = await run.live();
    process.stderr.write(`  ${live} live conversations (building up to ${target})\n`);
  }
  return live;
}

/**
 * Facts of [from, to) against what was emitted: missing, and latencies by kind (from when each fact was knowable);
 * duplicates and events that match no fact, over everything emitted against every fact.
 */
function compare(run: Run, facts: Fact[], allFacts: Fact[], from: number, to: number) {
  const inWindow = facts.filter((f) => {
    const t = Date.parse(f.occurredAt);
    return t >= from && t < to;
  });
  const counts = new Map<string, number>();
  const firstAt = new Map<string, number>();
  for (const { event, at } of run.emitted) {
    counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
    if (!firstAt.has(event.id)) firstAt.set(event.id, at);
  }
  const truthIds = new Set(allFacts.map((f) => f.id));
  const wrapup: number[] = [];
  const other: number[] = [];
  for (const fact of inWindow) {
    const at = firstAt.get(fact.id);
    if (at === undefined) continue;
    (fact.type === 'conversation.wrapup' ? wrapup : other).push(at - knowableAt(fact));
  }
  return {
    facts: inWindow.length,
    missing: inWindow.filter((f) => !counts.has(f.id)).length,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    unknown: [...counts.keys()].filter((id) => !truthIds.has(id)).length,
    p99WrapupMs: Math.round(percentile(wrapup, 99)),
    p99NonWrapupMs: Math.round(percentile(other, 99)),
  };
}

async function measureSteady(run: Run, windowMs: number): Promise<SteadyResult> {
  const live = await run.live();
  const start = Date.now();
  const requestsBefore = run.platform.stats().requests;
  const rateLimitedBefore = run.platform.stats().rateLimited;
  await sleep(windowMs);
  const end = Date.now();
  const requests = run.platform.stats().requests - requestsBefore;
  // Wrap-ups of the window may still be on their way: give them their 30 s before comparing.
  await sleep(35_000);
  const allFacts = await run.truth();
  const result = compare(run, allFacts, allFacts, start, end);
  const facts = allFacts;
  const conversations = facts.filter(
    (f) =>
      f.type === 'conversation.started' &&
      Date.parse(f.occurredAt) >= start &&
      Date.parse(f.occurredAt) < end,
  ).length;
  return {
    liveConversations: live,
    newConversationsPerMinute: Math.round((conversations / (end - start)) * 60_000),
    windowSeconds: Math.round((end - start) / 1000),
    factsInWindow: result.facts,
    missing: result.missing,
    duplicates: result.duplicates,
    unknown: result.unknown,
    p99NonWrapupMs: result.p99NonWrapupMs,
    p99WrapupMs: result.p99WrapupMs,
    requests,
    conversations,
    requestsPerConversation: conversations === 0 ? 0 : Math.round((requests / conversations) * 1000) / 1000,
    rateLimited: run.platform.stats().rateLimited - rateLimitedBefore,
  };
}

async function measureRecovery(run: Run, blackoutSeconds: number): Promise<RecoveryResult> {
  const live = await run.live();
  const channelWaits: number[] = [];
  const stopWaits = run.platform.onBudgetGrant((purpose, waitedMs) => {
    if (purpose === 'channel') channelWaits.push(waitedMs);
  });
  const requestsBefore = run.platform.stats().requests;
  const rateLimitedBefore = run.platform.stats().rateLimited;
  const start = Date.now();
  await admin(run.emulator.url, '/__emulator/faults', { type: 'blackout', seconds: blackoutSeconds });
  await sleep(blackoutSeconds * 1000);
  const backOn = Date.now();
  while (!run.stream.health().pool?.connected) await sleep(100);
  const reconnected = Date.now();
  // Complete when every fact of the gap (and the seconds around it) has been emitted, or after five minutes.
  const from = start - 5000;
  const until = backOn + 5000;
  let complete: number | undefined;
  let facts: Fact[] = [];
  let missing = 0;
  let missingByType: Record<string, number> = {};
  while (Date.now() - reconnected < 300_000) {
    facts = (await run.truth(from, until)).filter(
      (f) => f.type !== 'conversation.wrapup' || Date.parse(f.occurredAt) < until - 5000,
    );
    const emitted = new Set(run.emitted.map((e) => e.event.id));
    missing = facts.filter((f) => !emitted.has(f.id)).length;
    missingByType = {};
    for (const f of facts) if (!emitted.has(f.id)) missingByType[f.type] = (missingByType[f.type] ?? 0) + 1;
    if (missing === 0 && Date.now() > until) {
      complete = Date.now();
      break;
    }
    await sleep(1000);
  }
  stopWaits();
  const backfiller = (run.stream.source as WebSocketSource).backfiller;
  process.stderr.write(`  recovery: ${JSON.stringify(backfiller?.progress().last)}\n`);
  return {
    liveConversations: live,
    blackoutSeconds,
    reconnectedAfterMs: reconnected - backOn,
    gapCompleteAfterReconnectMs: complete === undefined ? undefined : complete - reconnected,
    gapFacts: facts.length,
    missing,
    missingByType,
    requests: run.platform.stats().requests - requestsBefore,
    channelWaitP99Ms: Math.round(percentile(channelWaits, 99)),
    channelWaitMaxMs: Math.round(Math.max(0, ...channelWaits)),
    rateLimited: run.platform.stats().rateLimited - rateLimitedBefore,
  };
}

/** The whole `scale` section. */
export async function benchScale(options: { quick?: boolean } = {}): Promise<ScaleResult> {
  const quick = options.quick ?? false;
  const started = Date.now();
  const blackout = 30;
  const growth: RecoveryResult[] = [];
  // Average conversation length 6.5 emulated minutes: live ≈ arrivals per minute × 6.5 / time scale.
  const sizes = quick
    ? [{ live: 200, timeScale: 13 }]
    : [
        { live: 500, timeScale: 13 },
        { live: 2000, timeScale: 3.25 },
      ];
  for (const size of sizes) {
    process.stderr.write(`scale: recovery with about ${size.live} live conversations...\n`);
    const run = await startRun(size.timeScale, quick);
    try {
      await rampUp(run, size.live * 0.9, 10 * 60_000);
      growth.push(await measureRecovery(run, blackout));
    } finally {
      await run.stop();
    }
  }
  process.stderr.write(`scale: steady state with about ${quick ? 800 : 5000} live conversations...\n`);
  const run = await startRun(quick ? 3.25 : 1.3, quick);
  try {
    await rampUp(run, quick ? 700 : 4500, 12 * 60_000);
    const steady = await measureSteady(run, quick ? 30_000 : 120_000);
    process.stderr.write('scale: a 30 s blackout at that load...\n');
    const recovery = await measureRecovery(run, blackout);
    growth.push(recovery);
    return { steady, recovery, growth, elapsedSeconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    await run.stop();
  }
}

/** Lines for the report. */
export function describeScale(result: ScaleResult): string[] {
  const s = result.steady;
  const r = result.recovery;
  return [
    `scale, steady: ${s.liveConversations} live, ${s.newConversationsPerMinute} new/min over ${s.windowSeconds} s: ${s.factsInWindow} facts, ${s.missing} missing, ${s.duplicates} duplicate ids, ${s.unknown} unknown; p99 from knowable to emit ${s.p99NonWrapupMs} ms (wrap-ups ${s.p99WrapupMs} ms); ${s.requests} requests for ${s.conversations} conversations = ${s.requestsPerConversation} per conversation; ${s.rateLimited} 429s`,
    `scale, recovery from a ${r.blackoutSeconds} s blackout with ${r.liveConversations} live: reconnected ${r.reconnectedAfterMs} ms after, gap complete ${r.gapCompleteAfterReconnectMs ?? 'never'} ms after reconnecting (${r.gapFacts} facts, ${r.missing} missing${r.missing > 0 ? ` ${JSON.stringify(r.missingByType)}` : ''}), ${r.requests} requests, channel waits p99 ${r.channelWaitP99Ms} ms (max ${r.channelWaitMaxMs}), ${r.rateLimited} 429s`,
    'scale, growth (live → recovery requests, time to complete):',
    ...result.growth.map(
      (g) =>
        `  ${g.liveConversations} live → ${g.requests} requests, ${g.gapCompleteAfterReconnectMs ?? 'never'} ms`,
    ),
    `scale ran ${result.elapsedSeconds} s`,
  ];
}
