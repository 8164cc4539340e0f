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
 *   conversations (the arrival rate fixed, the conversations longer). The recovery's requests are those of the backfill
 *   purpose from the blackout until the gap is complete; what else went out over the same span (wrap-up code reads,
 *   channel calls, the periodic listing of queues and users) is reported beside them, not counted in.
 *
 * It runs for a quarter of an hour or so (the 5,000 live take five minutes to build up); `--quick` runs a smaller,
 * shorter version of each part. Not part of CI.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LifecycleEvent } from '../src/events.js';
import { type ConversationStream, createConversationStream } from '../src/pipeline/conversation-stream.js';
import { createPlatformClient, type PlatformClient } from '../src/platform/index.js';
import type { WebSocketSource } from '../src/stream/websocket-source.js';

interface Fact {
  id: string;
  type: string;
  conversationId?: string;
  participantId?: string;
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
  /**
   * The recovery's requests: those sent for the backfill purpose (multi-gets, details query pages, REST reads past the
   * horizon) from the blackout until the gap was complete (until the end of the wait when it never was).
   */
  requests: number;
  /**
   * Every request sent over the same span, by budget purpose (`backfill`; `enrichment`: wrap-up codes; `channel`;
   * `other`: listing queues and users).
   */
  requestsByPurpose: Record<string, number>;
  /** The span those requests were counted over: until the gap was complete, or the whole wait. */
  requestsCountedMs: number;
  /** Calls the backfiller itself counted over the same span (its windows and its looks again). */
  backfillCalls: number;
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
 * events that match no fact, over `emitted` against every fact — `emitted` must end before the ground truth was asked
 * for: the stream keeps emitting while the answer is on its way, facts the answer was read too early to hold; and
 * duplicates over everything emitted.
 */
function compare(
  run: Run,
  emitted: Run['emitted'],
  facts: Fact[],
  allFacts: Fact[],
  from: number,
  to: number,
) {
  const inWindow = facts.filter((f) => {
    const t = Date.parse(f.occurredAt);
    return t >= from && t < to;
  });
  const counts = new Map<string, number>();
  const firstAt = new Map<string, number>();
  for (const { event, at } of emitted) {
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
  const unknownIds = [...counts.keys()].filter((id) => !truthIds.has(id));
  if (unknownIds.length > 0) dumpUnknown(run, emitted, new Set(unknownIds), allFacts);
  return {
    facts: inWindow.length,
    missing: inWindow.filter((f) => !counts.has(f.id)).length,
    duplicates: duplicateIds(run.emitted),
    unknown: unknownIds.length,
    p99WrapupMs: Math.round(percentile(wrapup, 99)),
    p99NonWrapupMs: Math.round(percentile(other, 99)),
  };
}

/** Ids emitted more than once. */
function duplicateIds(emitted: Run['emitted']): number {
  const counts = new Map<string, number>();
  for (const { event } of emitted) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return [...counts.values()].filter((n) => n > 1).length;
}

const describeSource = (event: LifecycleEvent) =>
  event.source.kind === 'backfill' ? `backfill/${event.source.via}` : event.source.kind;

const describeEvent = (event: LifecycleEvent) => {
  const participant = (event as { participant?: { participantId?: string } }).participant?.participantId;
  return `${event.type} ${event.occurredAt} participant=${participant ?? '-'} via ${describeSource(event)}`;
};

/**
 * Debugging output for events that match no fact: each event (type, conversation, participant, source) next to the
 * ground truth and the other events of its conversation; a summary on stderr, everything in a file.
 */
function dumpUnknown(
  run: Run,
  emittedBefore: Run['emitted'],
  unknownIds: Set<string>,
  allFacts: Fact[],
): void {
  const byConversation = new Map<string, Fact[]>();
  for (const fact of allFacts) {
    if (!fact.conversationId) continue;
    const list = byConversation.get(fact.conversationId) ?? [];
    list.push(fact);
    byConversation.set(fact.conversationId, list);
  }
  const emittedBy = new Map<string, LifecycleEvent[]>();
  for (const { event } of run.emitted) {
    const list = emittedBy.get(event.conversationId) ?? [];
    list.push(event);
    emittedBy.set(event.conversationId, list);
  }
  const seen = new Set<string>();
  const unknown = emittedBefore
    .map((e) => e.event)
    .filter((e) => unknownIds.has(e.id) && !seen.has(e.id) && seen.add(e.id));
  const summary = new Map<string, number>();
  for (const e of unknown) {
    const key = `${e.type} via ${describeSource(e)}${byConversation.has(e.conversationId) ? '' : ' (conversation not in ground truth)'}`;
    summary.set(key, (summary.get(key) ?? 0) + 1);
  }
  process.stderr.write(`  unknown events: ${JSON.stringify(Object.fromEntries(summary))}\n`);
  const cases = unknown.map((event) => ({
    event,
    truth: byConversation.get(event.conversationId) ?? [],
    emitted: (emittedBy.get(event.conversationId) ?? []).map(describeEvent),
  }));
  for (const c of cases.slice(0, 5)) {
    process.stderr.write(`  unknown: ${c.event.conversationId} ${describeEvent(c.event)}\n`);
    for (const f of c.truth)
      process.stderr.write(
        `    truth: ${f.type} ${f.occurredAt} participant=${f.participantId ?? '-'} ${f.id === c.event.id ? '(same id)' : ''}\n`,
      );
    for (const line of c.emitted) process.stderr.write(`    emitted: ${line}\n`);
  }
  const file = join(tmpdir(), `scale-unknown-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(cases, null, 1));
  process.stderr.write(`  every unknown event with its conversation: ${file}\n`);
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
  // What was emitted before the ground truth is asked for is in it; what comes while it is read may not be yet.
  const emitted = run.emitted.slice();
  const allFacts = await run.truth();
  const truthIds = new Set(allFacts.map((f) => f.id));
  const result = compare(run, emitted, allFacts, allFacts, start, end);
  // Those are checked against the ground truth read again: every one of them must be in it by then.
  const meanwhile = run.emitted.slice(emitted.length).filter((e) => !truthIds.has(e.event.id));
  const truthAgain = meanwhile.length > 0 ? new Set((await run.truth()).map((f) => f.id)) : truthIds;
  const stillUnknown = new Set(meanwhile.filter((e) => !truthAgain.has(e.event.id)).map((e) => e.event.id));
  process.stderr.write(
    `  ${meanwhile.length} events emitted while the ground truth was read held facts it did not hold yet; ${stillUnknown.size} of them match no fact when it is read again\n`,
  );
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
    unknown: result.unknown + stillUnknown.size,
    p99NonWrapupMs: result.p99NonWrapupMs,
    p99WrapupMs: result.p99WrapupMs,
    requests,
    conversations,
    requestsPerConversation: conversations === 0 ? 0 : Math.round((requests / conversations) * 1000) / 1000,
    rateLimited: run.platform.stats().rateLimited - rateLimitedBefore,
  };
}

/** Debugging output for facts of a gap never emitted: each with its conversation's facts and events. */
async function dumpMissing(run: Run, facts: Fact[]): Promise<void> {
  const emitted = new Set(run.emitted.map((e) => e.event.id));
  const missing = facts.filter((f) => !emitted.has(f.id));
  const all = await run.truth();
  const backfiller = (run.stream.source as WebSocketSource).backfiller;
  process.stderr.write(
    `  backfill progress: ${JSON.stringify(backfiller?.progress())}\n  lookups: ${JSON.stringify(run.stream.pipeline.processor.stats())}\n`,
  );
  for (const fact of missing.slice(0, 10)) {
    process.stderr.write(
      `  missing: ${fact.conversationId} ${fact.type} ${fact.occurredAt} participant=${fact.participantId ?? '-'}\n`,
    );
    for (const f of all.filter((f) => f.conversationId === fact.conversationId))
      process.stderr.write(`    truth: ${f.type} ${f.occurredAt} participant=${f.participantId ?? '-'}\n`);
    for (const { event, at } of run.emitted.filter((e) => e.event.conversationId === fact.conversationId))
      process.stderr.write(`    emitted at ${new Date(at).toISOString()}: ${describeEvent(event)}\n`);
  }
}

async function measureRecovery(run: Run, blackoutSeconds: number): Promise<RecoveryResult> {
  const live = await run.live();
  const channelWaits: number[] = [];
  // Every request sent (a budget grant per attempt) with its purpose, so the recovery's own can be told apart.
  const sent: Array<{ purpose: string; at: number }> = [];
  const stopWaits = run.platform.onBudgetGrant((purpose, waitedMs) => {
    sent.push({ purpose, at: Date.now() });
    if (purpose === 'channel') channelWaits.push(waitedMs);
  });
  const backfillCallsBefore = (run.stream.source as WebSocketSource).backfiller?.progress().totals.calls ?? 0;
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
  let nextReport = 15_000;
  let dumped = false;
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
    const waited = Date.now() - reconnected;
    if (waited >= nextReport) {
      nextReport += 15_000;
      const progress = (run.stream.source as WebSocketSource).backfiller?.progress();
      const lookups = run.stream.pipeline.processor.stats();
      process.stderr.write(
        `  ${Math.round(waited / 1000)} s after reconnecting: ${missing} of ${facts.length} facts of the gap missing ${JSON.stringify(missingByType)}; backfill ${progress?.openGaps ?? 0} gaps open, ${progress?.conversationsPending ?? 0} conversations looked for again; ${lookups.queued} wrap-up lookups (${lookups.retrying} looked for again)\n`,
      );
    }
    // Past the target with facts still missing: show which, once.
    if (!dumped && waited > 90_000 && missing > 0) {
      dumped = true;
      await dumpMissing(run, facts);
    }
    await sleep(1000);
  }
  const countedUntil = complete ?? Date.now();
  const backfillCalls =
    ((run.stream.source as WebSocketSource).backfiller?.progress().totals.calls ?? 0) - backfillCallsBefore;
  stopWaits();
  const requestsByPurpose: Record<string, number> = {};
  for (const r of sent)
    if (r.at <= countedUntil) requestsByPurpose[r.purpose] = (requestsByPurpose[r.purpose] ?? 0) + 1;
  const backfiller = (run.stream.source as WebSocketSource).backfiller;
  process.stderr.write(`  recovery: ${JSON.stringify(backfiller?.progress().last)}\n`);
  if (missing > 0 && !dumped) await dumpMissing(run, facts);
  return {
    liveConversations: live,
    blackoutSeconds,
    reconnectedAfterMs: reconnected - backOn,
    gapCompleteAfterReconnectMs: complete === undefined ? undefined : complete - reconnected,
    gapFacts: facts.length,
    missing,
    missingByType,
    requests: requestsByPurpose.backfill ?? 0,
    requestsByPurpose,
    requestsCountedMs: countedUntil - start,
    backfillCalls,
    channelWaitP99Ms: Math.round(percentile(channelWaits, 99)),
    channelWaitMaxMs: Math.round(Math.max(0, ...channelWaits)),
    rateLimited: run.platform.stats().rateLimited - rateLimitedBefore,
  };
}

/** Traffic behind a recovery measured: more than the two minutes recovery searches back before a gap. */
const HISTORY_MS = 150_000;

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
    const runStarted = Date.now();
    try {
      await rampUp(run, size.live * 0.9, 10 * 60_000);
      // Recovery searches two minutes back before the gap (the backfiller's lookback): the few live conversations
      // build up within a minute, so give the world the traffic history a contact centre running all day has.
      const history = runStarted + HISTORY_MS - Date.now();
      if (history > 0) {
        process.stderr.write(`  ${Math.round(history / 1000)} s more traffic before the blackout\n`);
        await sleep(history);
      }
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

/** The recovery's requests, and what else was sent over the same span. */
function describeRequests(r: RecoveryResult): string {
  const others = Object.entries(r.requestsByPurpose)
    .filter(([purpose]) => purpose !== 'backfill')
    .map(([purpose, n]) => `${n} ${purpose}`);
  const span = `${Math.round(r.requestsCountedMs / 1000)} s${r.gapCompleteAfterReconnectMs === undefined ? ', the whole wait: the gap never completed' : ''}`;
  return `${r.requests} recovery requests (backfill purpose; ${r.backfillCalls} backfiller calls) over ${span}${others.length > 0 ? `, besides ${others.join(', ')}` : ''}`;
}

/** Lines for the report. */
export function describeScale(result: ScaleResult): string[] {
  const s = result.steady;
  const r = result.recovery;
  return [
    `scale, steady: ${s.liveConversations} live, ${s.newConversationsPerMinute} new/min over ${s.windowSeconds} s: ${s.factsInWindow} facts, ${s.missing} missing, ${s.duplicates} duplicate ids, ${s.unknown} unknown; p99 from knowable to emit ${s.p99NonWrapupMs} ms (wrap-ups ${s.p99WrapupMs} ms); ${s.requests} requests for ${s.conversations} conversations = ${s.requestsPerConversation} per conversation; ${s.rateLimited} 429s`,
    `scale, recovery from a ${r.blackoutSeconds} s blackout with ${r.liveConversations} live: reconnected ${r.reconnectedAfterMs} ms after, gap complete ${r.gapCompleteAfterReconnectMs ?? 'never'} ms after reconnecting (${r.gapFacts} facts, ${r.missing} missing${r.missing > 0 ? ` ${JSON.stringify(r.missingByType)}` : ''}), ${describeRequests(r)}, channel waits p99 ${r.channelWaitP99Ms} ms (max ${r.channelWaitMaxMs}), ${r.rateLimited} 429s`,
    'scale, growth (live → recovery requests until the gap was complete, time to complete):',
    ...result.growth.map(
      (g) =>
        `  ${g.liveConversations} live → ${describeRequests(g)}, ${g.gapCompleteAfterReconnectMs ?? 'never'} ms`,
    ),
    `scale ran ${result.elapsedSeconds} s`,
  ];
}
