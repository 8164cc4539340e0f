/**
 * The replica set end to end, on loopback: the emulator (in this process), a nats-server and a PostgreSQL
 * schema of the benchmark's own, and `switchboard run` replicas spawned from the sources.
 *
 * - Events per second through JetStream with one replica, then with three: the same offered load, the same
 *   shards, each set with its own stream, buckets and schema and the default lease TTL. A round runs live
 *   traffic at a fixed rate for a fixed window, starting from a set at rest, and waits until the set is at
 *   rest again; events/s is the events stored in the stream during the round over the time from the first to
 *   the last one. The baseline is what the emulator produced in the same round: ground-truth facts over the
 *   time from its first to its last fact, and notifications published per second of publishing. The ratio
 *   falls below 1 when the stream finishes later than the emulator did; the peak backlogs (frames sent but
 *   not yet taken in, events waiting for JetStream) and the fact → stored latencies say where the time went.
 *   The emulator, the replicas, NATS and PostgreSQL share the machine's cores, so the figure is bounded by
 *   what the emulator can publish with the replicas beside it. Stored events are checked against the ground
 *   truth: none missing, none that did not happen, no event id stored twice.
 * - Kill recovery: a shard owner is SIGKILLed while traffic runs; recovered once each of its shards is active
 *   on a live replica AND an event of one of them, published by another replica, is stored in the stream. The
 *   lease TTL of this third set is shortened (reported with the figure): the time is dominated by it. The
 *   killed replica is restarted and the set left to rebalance before the next kill.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DeliverPolicy } from '@nats-io/jetstream';
import { type Bus, connectBus } from '../src/bus/connection.js';
import { type Emulator, startEmulator } from '../src/emulator/index.js';
import {
  benchSchema,
  findNatsServer,
  type OwnNats,
  postgresProblem,
  ReplicaSet,
  sleep,
  startOwnNats,
  within,
} from './replica-set.js';

export interface ReplicasBenchOptions {
  /** One round per replica count and one kill. */
  quick?: boolean;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface ThroughputRound {
  /** Events stored in the stream during the round. */
  stored: number;
  /** Ground-truth facts of the conversations of the round. */
  truth: number;
  /** stored / truth: 1 when every fact is in the stream exactly once. */
  storedToTruth: number;
  /** Event ids stored more than once (extra copies). */
  duplicates: number;
  /** Facts with no event in the stream. */
  missing: number;
  /** Stored events that are no fact of the round. */
  extra: number;
  /** Publishes JetStream acknowledged as duplicates (the same event published by two shards). */
  dedupedByBus: number;
  /** First to last stored event of the round. */
  spanMs: number;
  /** stored / spanMs. */
  eventsPerSecond: number;
  /** First to last fact of the round, as the emulator produced them. */
  emulatorSpanMs: number;
  /** truth / emulatorSpanMs: the baseline. */
  emulatorFactsPerSecond: number;
  /** Notifications the emulator published (one per topic per snapshot) per second of publishing. */
  emulatorNotificationsPerSecond: number;
  /** eventsPerSecond / emulatorFactsPerSecond: below 1 when the stream finished later than the emulator. */
  ratioToFacts: number;
  /** Last stored event after the last fact: how far behind the stream finished. */
  lagMs: number;
  /** Fact → its event stored in JetStream, over the round's events (wrap-ups wait for a REST read). */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The same for events other than wrap-ups. */
  latencyP99NoWrapupMs: number;
  /**
   * Peak, sampled every half second, of notifications the emulator had sent that the replicas had not yet
   * taken in (give or take a few heartbeats), and of events waiting in their sinks for JetStream: near 0 when
   * they keep up.
   */
  peakFrameBacklog: number;
  peakSinkBacklog: number;
  /**
   * p99 lateness of this process's timers while the traffic ran: the emulator's timeline runs this late, and
   * its facts carry the times they were due, so the latencies above include it.
   */
  emulatorLoopDelayP99Ms: number;
}

export interface ThroughputResult {
  replicas: number;
  rounds: ThroughputRound[];
  /** Medians over the rounds. */
  eventsPerSecond: number;
  emulatorNotificationsPerSecond: number;
  emulatorFactsPerSecond: number;
  ratioToFacts: number;
  lagMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyP99NoWrapupMs: number;
  peakFrameBacklog: number;
  peakSinkBacklog: number;
  emulatorLoopDelayP99Ms: number;
  /** Over all rounds. */
  stored: number;
  truth: number;
  storedToTruth: number;
  duplicates: number;
  missing: number;
  extra: number;
}

export interface KillResult {
  victim: string;
  shards: string[];
  /** Kill → every shard of the victim active on a live replica. */
  ownedMs: number;
  /** Kill → the first event of one of those shards stored by another replica. */
  firstEventMs: number;
  /** The later of the two. */
  recoveryMs: number;
}

export interface RecoveryResult {
  leaseTtlMs: number;
  kills: KillResult[];
  minMs: number;
  medianMs: number;
  maxMs: number;
  /** How often ownership was polled (the resolution of ownedMs). */
  pollMs: number;
}

export interface ReplicasResult {
  settings: {
    shards: number;
    spareChannels: number;
    /** Lease TTL of the throughput sets (the default). */
    throughputLeaseTtlMs: number;
    timeScale: number;
    /** Emulated conversations per minute while a throughput round's traffic runs. */
    conversationsPerMinute: number;
    /** The same in real time. */
    conversationsPerSecond: number;
    windowMs: number;
    rounds: number;
    /** Emulated conversations per minute while replicas are killed. */
    killConversationsPerMinute: number;
    requestsPerMinute: number;
    /** The 1-minute load average when the section started and ended (other work skews the figures). */
    loadAverage: { before: number; after: number };
  };
  one: ThroughputResult;
  three: ThroughputResult;
  /** three.eventsPerSecond / one.eventsPerSecond. */
  scaling: number;
  recovery: RecoveryResult;
  elapsedMs: number;
}

/** The figures; or why the section did not run here (no nats-server, no PostgreSQL), or how it failed. */
export type ReplicasBenchResult = ReplicasResult | { skipped: string } | { failed: string };

const SHARDS = 6;
const SPARES = 2;
/**
 * The throughput sets keep the default lease TTL (15 s): a short one makes a replica whose event loop is busy
 * hold its events until the lease is confirmed again, and lose its leases when it is starved of CPU for a few
 * seconds, which would measure this crowded machine rather than the replica set.
 */
const DEFAULT_LEASE_TTL_MS = 15_000;
/** The kill set's TTL: recovery waits for the lease to expire, and 15 s a kill is too slow to repeat. */
const KILL_LEASE_TTL_MS = 3000;
const HEARTBEAT_MS = 1000;
/** Emulated conversations run 240 times faster: the longest (about 20 minutes) ends within 5 s. */
const TIME_SCALE = 240;
/**
 * 50 emulated conversations a minute at TIME_SCALE: 200 a second in real time, about 4,000 notifications and
 * 750 facts a second. On two cores that already keeps one replica's JetStream publishing busy; twice as much
 * makes the emulator itself fall seconds behind its timeline once three replicas compete with it for the
 * cores.
 */
const CONVERSATIONS_PER_MINUTE = 50;
/** 80 conversations a second while killing: every shard keeps delivering events, the take-over gets CPU. */
const KILL_CONVERSATIONS_PER_MINUTE = 20;
const WINDOW_MS = 8000;
const POLL_MS = 100;
/**
 * The REST budget. Under this traffic every conversation ending with after-call work costs a REST read (its
 * wrap-up code), hundreds a second, and every take-over refreshes the shard's tracked conversations and
 * backfills the gap since its checkpoint through REST. At the platform's default 300 requests a minute those
 * reads would queue for minutes, and the figures would measure the rate limit, not the replica set: the
 * emulator's limit and the replicas' own budget are raised alike.
 */
const REQUESTS_PER_MINUTE = 60_000;

const IDS = ['r1', 'r2', 'r3'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** One stored message as the benchmark reads it (headers only). */
interface Stored {
  seq: number;
  at: number;
  id: string;
  shard: string;
  replica: string;
}

function storedOf(message: {
  seq: number;
  time: Date;
  headers?: { get(name: string): string } | undefined;
}): Stored {
  return {
    seq: message.seq,
    at: message.time.getTime(),
    id: message.headers?.get('Nats-Msg-Id') ?? '',
    shard: message.headers?.get('Switchboard-Shard') ?? '',
    replica: message.headers?.get('Switchboard-Replica') ?? '',
  };
}

async function lastSeq(bus: Bus, stream: string): Promise<number> {
  return (await bus.manager.streams.info(stream)).state.last_seq;
}

/** Stored messages `from`..`to` (inclusive), headers only, through an ordered consumer. */
async function readRange(bus: Bus, stream: string, from: number, to: number): Promise<Stored[]> {
  if (to < from) return [];
  const consumer = await bus.jetstream.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
    headers_only: true,
  });
  const messages = await consumer.consume({ max_messages: 2000 });
  const timer = setTimeout(() => void messages.close(), 60_000);
  const out: Stored[] = [];
  try {
    for await (const message of messages) {
      out.push(storedOf(message));
      if (message.seq >= to) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close().catch(() => undefined);
  }
  const reached = out.at(-1)?.seq ?? 0;
  if (reached < to) throw new Error(`read ${stream} up to sequence ${reached} of ${to} within 60 s`);
  return out;
}

/** Every message stored from now on, headers only, kept in `seen` until `close`. */
async function watchNew(bus: Bus, stream: string): Promise<{ seen: Stored[]; close(): Promise<void> }> {
  const consumer = await bus.jetstream.consumers.get(stream, {
    deliver_policy: DeliverPolicy.New,
    headers_only: true,
  });
  const messages = await consumer.consume({ max_messages: 2000 });
  const seen: Stored[] = [];
  const done = (async () => {
    for await (const message of messages) seen.push(storedOf(message));
  })().catch(() => undefined);
  return {
    seen,
    async close() {
      await messages.close().catch(() => undefined);
      await done;
    },
  };
}

/** Smallest and largest of many values (no spread: a round has tens of thousands). */
function range(values: number[]): { first: number; last: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value < first) first = value;
    if (value > last) last = value;
  }
  return { first, last };
}

/** Time from the counter's first rise to its last: how long the emulator was publishing. */
function risingSpan(samples: Array<{ at: number; value: number }>): number {
  const start = samples[0]?.value ?? 0;
  const end = samples.at(-1)?.value ?? 0;
  const first = samples.find((sample) => sample.value > start)?.at ?? 0;
  const last = samples.find((sample) => sample.value >= end)?.at ?? 0;
  return Math.max(1, last - first);
}

/** What a phase works with: the emulator, its replica set and that set's stream. */
interface Context {
  emulator: Emulator;
  set: ReplicaSet;
  bus: Bus;
  stream: string;
  log: (line: string) => void;
}

async function mustWithin(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const took = await within(check, timeoutMs);
  if (took === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return took;
}

/** All conversations ended, the set at rest and the stream no longer growing. */
async function quiesce(context: Context, ids: string[]): Promise<void> {
  const { emulator, set, bus, stream } = context;
  await mustWithin(
    'every conversation to end',
    async () => emulator.world!.activeConversations === 0,
    60_000,
  );
  let previous = -1;
  await mustWithin(
    'the replicas to be at rest',
    async () => {
      if (!(await set.atRest(ids))) return false;
      const seq = await lastSeq(bus, stream);
      const quiet = seq === previous;
      previous = seq;
      return quiet;
    },
    60_000,
  );
}

/** Samples the replicas' backlogs every half second until stopped; `stop` gives the peaks. */
async function watchBacklog(
  context: Context,
  ids: string[],
): Promise<{ stop(): Promise<{ frames: number; events: number }> }> {
  const { emulator, set } = context;
  const read = async () => {
    let received = 0;
    let waiting = 0;
    for (const health of (await set.healths(ids)).values()) {
      received += health.stream?.pipeline.notifications ?? 0;
      for (const sink of health.stream?.sinks ?? []) waiting += sink.depth + sink.inFlight;
    }
    return { sent: emulator.hub.counters.framesSent, received, waiting };
  };
  const start = await read();
  const peaks = { frames: 0, events: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = await read();
      peaks.frames = Math.max(peaks.frames, now.sent - start.sent - (now.received - start.received));
      peaks.events = Math.max(peaks.events, now.waiting);
      await sleep(500);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peaks;
    },
  };
}

/** One throughput round: traffic for WINDOW_MS from a set at rest, then everything stored is checked. */
async function throughputRound(context: Context, ids: string[]): Promise<ThroughputRound> {
  const { emulator, set, bus, stream } = context;
  const world = emulator.world!;
  await quiesce(context, ids);
  const fromSeq = (await lastSeq(bus, stream)) + 1;
  const deliveredBefore = await set.delivered(ids);
  const since = Date.now();
  const samples: Array<{ at: number; value: number }> = [];
  const sample = () => samples.push({ at: Date.now(), value: emulator.hub.counters.published });
  sample();
  const sampler = setInterval(sample, 50);
  const backlog = await watchBacklog(context, ids);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let peaks: { frames: number; events: number };
  try {
    world.setTraffic(CONVERSATIONS_PER_MINUTE);
    await sleep(WINDOW_MS);
    world.setTraffic(0);
    loopDelay.disable();
    await quiesce(context, ids);
  } finally {
    world.setTraffic(0);
    clearInterval(sampler);
    loopDelay.disable();
    peaks = await backlog.stop();
  }
  sample();
  const toSeq = await lastSeq(bus, stream);
  const dedupedByBus = (await set.delivered(ids)) - deliveredBefore - (toSeq - fromSeq + 1);
  const stored = await readRange(bus, stream, fromSeq, toSeq);
  const facts = world.groundTruth({ since });

  const counts = new Map<string, number>();
  for (const message of stored) counts.set(message.id, (counts.get(message.id) ?? 0) + 1);
  const truthIds = new Set(facts.map((fact) => fact.id));
  const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  const missing = facts.filter((fact) => !counts.has(fact.id)).length;
  const extra = [...counts.keys()].filter((id) => !truthIds.has(id)).length;
  if (stored.length === 0 || facts.length === 0)
    throw new Error(`the round stored ${stored.length} event(s) of ${facts.length} fact(s)`);
  const times = range(stored.map((m) => m.at));
  const factTimes = range(facts.map((fact) => Date.parse(fact.occurredAt)));
  const spanMs = Math.max(1, times.last - times.first);
  const emulatorSpanMs = Math.max(1, factTimes.last - factTimes.first);
  const published = (samples.at(-1)?.value ?? 0) - (samples[0]?.value ?? 0);
  const latencies = { all: [] as number[], noWrapup: [] as number[] };
  const storedAt = new Map(stored.map((m) => [m.id, m.at]));
  for (const fact of facts) {
    const at = storedAt.get(fact.id);
    if (at === undefined) continue;
    const latency = at - Date.parse(fact.occurredAt);
    latencies.all.push(latency);
    if (fact.type !== 'conversation.wrapup') latencies.noWrapup.push(latency);
  }
  const eventsPerSecond = stored.length / (spanMs / 1000);
  const factsPerSecond = facts.length / (emulatorSpanMs / 1000);
  return {
    stored: stored.length,
    truth: facts.length,
    storedToTruth: round3(stored.length / Math.max(1, facts.length)),
    duplicates,
    missing,
    extra,
    dedupedByBus,
    spanMs,
    eventsPerSecond: Math.round(eventsPerSecond),
    emulatorSpanMs,
    emulatorFactsPerSecond: Math.round(factsPerSecond),
    emulatorNotificationsPerSecond: Math.round(published / (risingSpan(samples) / 1000)),
    ratioToFacts: round3(eventsPerSecond / Math.max(1e-9, factsPerSecond)),
    lagMs: times.last - factTimes.last,
    latencyP50Ms: percentile(latencies.all, 50),
    latencyP99Ms: percentile(latencies.all, 99),
    latencyP99NoWrapupMs: percentile(latencies.noWrapup, 99),
    peakFrameBacklog: peaks.frames,
    peakSinkBacklog: peaks.events,
    emulatorLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
  };
}

async function throughput(context: Context, ids: string[], rounds: number): Promise<ThroughputResult> {
  const results: ThroughputRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const result = await throughputRound(context, ids);
    context.log(
      `  ${ids.length} replica(s), round ${round + 1}/${rounds}: ${result.eventsPerSecond} events/s stored over ${result.spanMs} ms (latency p50 ${result.latencyP50Ms} / p99 ${result.latencyP99Ms} ms, ${result.latencyP99NoWrapupMs} without wrap-ups; last ${result.lagMs} ms after the emulator's last fact; peak backlog ${result.peakFrameBacklog} frames, ${result.peakSinkBacklog} events; emulator timers p99 ${result.emulatorLoopDelayP99Ms} ms late); emulator ${result.emulatorFactsPerSecond} facts/s over ${result.emulatorSpanMs} ms, ${result.emulatorNotificationsPerSecond} notifications/s; stored/truth ${result.stored}/${result.truth}, ${result.duplicates} duplicate(s), ${result.missing} missing, ${result.extra} extra, ${result.dedupedByBus} deduped by the bus`,
    );
    results.push(result);
  }
  const sum = (read: (r: ThroughputRound) => number) => results.reduce((total, r) => total + read(r), 0);
  return {
    replicas: ids.length,
    rounds: results,
    eventsPerSecond: median(results.map((r) => r.eventsPerSecond)),
    emulatorNotificationsPerSecond: median(results.map((r) => r.emulatorNotificationsPerSecond)),
    emulatorFactsPerSecond: median(results.map((r) => r.emulatorFactsPerSecond)),
    ratioToFacts: median(results.map((r) => r.ratioToFacts)),
    lagMs: median(results.map((r) => r.lagMs)),
    latencyP50Ms: median(results.map((r) => r.latencyP50Ms)),
    latencyP99Ms: median(results.map((r) => r.latencyP99Ms)),
    latencyP99NoWrapupMs: median(results.map((r) => r.latencyP99NoWrapupMs)),
    peakFrameBacklog: median(results.map((r) => r.peakFrameBacklog)),
    peakSinkBacklog: median(results.map((r) => r.peakSinkBacklog)),
    emulatorLoopDelayP99Ms: median(results.map((r) => r.emulatorLoopDelayP99Ms)),
    stored: sum((r) => r.stored),
    truth: sum((r) => r.truth),
    storedToTruth: round3(
      sum((r) => r.stored) /
        Math.max(
          1,
          sum((r) => r.truth),
        ),
    ),
    duplicates: sum((r) => r.duplicates),
    missing: sum((r) => r.missing),
    extra: sum((r) => r.extra),
  };
}

/**
 * Kills an owner with traffic running and times its shards back to flowing; with `restart`, starts it again
 * so the next kill finds three replicas (the set rebalances before that kill).
 */
async function killOnce(context: Context, index: number, restart: boolean): Promise<KillResult> {
  const { set, bus, stream } = context;
  await mustWithin('the set to settle before the kill', () => set.atRest(IDS), 60_000);
  context.emulator.world!.setTraffic(KILL_CONVERSATIONS_PER_MINUTE);
  await sleep(1500);
  const owners = await set.owners(IDS);
  const owning = IDS.filter((id) => [...owners.values()].some((list) => list.includes(id)));
  const victim = owning[index % owning.length]!;
  const shards = [...owners].filter(([, list]) => list.includes(victim)).map(([shard]) => shard);
  const alive = IDS.filter((id) => id !== victim);
  const watcher = await watchNew(bus, stream);
  let ownedMs: number | undefined;
  let firstEventMs: number | undefined;
  try {
    const killedAt = Date.now();
    await set.kill(victim);
    const recovered = await within(
      async () => {
        if (ownedMs === undefined) {
          const now = await set.owners(alive);
          if (shards.every((shard) => now.get(shard)?.length === 1)) ownedMs = Date.now() - killedAt;
        }
        if (firstEventMs === undefined) {
          const event = watcher.seen.find(
            (m) => m.at >= killedAt && m.replica !== victim && shards.includes(m.shard),
          );
          if (event) firstEventMs = event.at - killedAt;
        }
        return ownedMs !== undefined && firstEventMs !== undefined;
      },
      30_000,
      POLL_MS,
    );
    if (recovered === undefined || ownedMs === undefined || firstEventMs === undefined)
      throw new Error(
        `shards ${shards.join(', ')} of ${victim} not flowing again within 30 s (owned: ${ownedMs ?? 'no'}, event: ${firstEventMs ?? 'no'})`,
      );
  } finally {
    await watcher.close();
    context.emulator.world!.setTraffic(0);
  }
  context.log(
    `  kill ${index + 1}: ${victim} (shards ${shards.join(', ')}) → owned again after ${ownedMs} ms, first event after ${firstEventMs} ms`,
  );
  if (restart) await set.start(victim);
  return {
    victim,
    shards,
    ownedMs,
    firstEventMs,
    recoveryMs: Math.max(ownedMs, firstEventMs),
  };
}

/** Runs the replica-set benchmark, or says why it cannot run here. */
export async function benchReplicas(options: ReplicasBenchOptions = {}): Promise<ReplicasBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const natsBinary = findNatsServer();
  if (!natsBinary)
    return {
      skipped: 'no nats-server binary: none on PATH or in /usr/sbin, and SWITCHBOARD_NATS_SERVER unset',
    };
  const pgProblem = await postgresProblem();
  if (pgProblem) return { skipped: `${pgProblem}; set SWITCHBOARD_TEST_PG to a reachable server` };

  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const rounds = options.quick ? 1 : 3;
  const kills = options.quick ? 1 : 3;
  const run = randomBytes(3).toString('hex');
  const schemas: Array<ReturnType<typeof benchSchema>> = [];
  const sets: ReplicaSet[] = [];
  let emulator: Emulator | undefined;
  let nats: OwnNats | undefined;
  let bus: Bus | undefined;
  try {
    emulator = await startEmulator({
      port: 0,
      seed: 29,
      timeScale: TIME_SCALE,
      // Traffic runs only in the measured windows, starting from a set at rest.
      conversationsPerMinute: 0,
      historyDays: 0,
      agents: 40,
      queues: 10,
      heartbeatIntervalMs: HEARTBEAT_MS,
      rateLimitPerMinute: REQUESTS_PER_MINUTE,
    });
    const region = emulator.url;
    nats = await startOwnNats(natsBinary);
    const natsUrl = nats.url;
    bus = await connectBus({ url: natsUrl, name: 'switchboard-bench' });
    /** A replica set of its own: stream, coordination buckets and store schema (checkpoints carry epochs). */
    const newSet = (name: string, leaseTtlMs?: number): { set: ReplicaSet; stream: string } => {
      const schema = benchSchema(`sb_bench_${name}`);
      schemas.push(schema);
      const stream = `SBBENCH_${name.toUpperCase()}_${run}`;
      const set = new ReplicaSet({
        region,
        natsUrl,
        storeUrl: schema.url,
        shards: SHARDS,
        spareChannels: SPARES,
        ...(leaseTtlMs === undefined ? {} : { leaseTtlMs }),
        heartbeatMs: HEARTBEAT_MS,
        stream,
        bucket: `sbbench-${name}-${run}`,
        requestsPerMinute: REQUESTS_PER_MINUTE,
      });
      sets.push(set);
      return { set, stream };
    };
    const failure = (error: unknown): Error => {
      const outputs = sets
        .flatMap((set) => [...set.replicas.values()])
        .map((replica) => `--- ${replica.id} ---\n${replica.output()}`)
        .join('\n');
      return new Error(`${(error as Error).message}\n${outputs}`, { cause: error });
    };
    try {
      log('replicas: one replica...');
      const single = newSet('one');
      await single.set.start('r1');
      await mustWithin('r1 to own every shard', () => single.set.atRest(['r1']), 90_000);
      const one = await throughput({ emulator, bus, log, ...single }, ['r1'], rounds);
      await single.set.dispose();

      log('replicas: three replicas...');
      const triple = newSet('three');
      for (const id of IDS) await triple.set.start(id);
      await mustWithin('the shards to spread over r1..r3', () => triple.set.atRest(IDS), 120_000);
      const three = await throughput({ emulator, bus, log, ...triple }, IDS, rounds);
      await triple.set.dispose();

      log(`replicas: killing shard owners (lease TTL ${KILL_LEASE_TTL_MS} ms)...`);
      const killing = newSet('kill', KILL_LEASE_TTL_MS);
      for (const id of IDS) await killing.set.start(id);
      await mustWithin('the shards to spread over r1..r3', () => killing.set.atRest(IDS), 120_000);
      const results: KillResult[] = [];
      for (let k = 0; k < kills; k++)
        results.push(await killOnce({ emulator, bus, log, ...killing }, k, k < kills - 1));
      await killing.set.dispose();
      const times = results.map((r) => r.recoveryMs);
      return {
        settings: {
          shards: SHARDS,
          spareChannels: SPARES,
          throughputLeaseTtlMs: DEFAULT_LEASE_TTL_MS,
          timeScale: TIME_SCALE,
          conversationsPerMinute: CONVERSATIONS_PER_MINUTE,
          conversationsPerSecond: round1((CONVERSATIONS_PER_MINUTE * TIME_SCALE) / 60),
          windowMs: WINDOW_MS,
          rounds,
          killConversationsPerMinute: KILL_CONVERSATIONS_PER_MINUTE,
          requestsPerMinute: REQUESTS_PER_MINUTE,
          loadAverage: { before: round1(loadBefore), after: round1(loadavg()[0]!) },
        },
        one,
        three,
        scaling: round3(three.eventsPerSecond / Math.max(1, one.eventsPerSecond)),
        recovery: {
          leaseTtlMs: KILL_LEASE_TTL_MS,
          kills: results,
          minMs: Math.min(...times),
          medianMs: median(times),
          maxMs: Math.max(...times),
          pollMs: POLL_MS,
        },
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      throw failure(error);
    }
  } finally {
    emulator?.world?.setTraffic(0);
    await bus?.close().catch(() => undefined);
    for (const set of sets) await set.dispose().catch(() => undefined);
    await nats?.dispose().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    for (const schema of schemas) await schema.drop();
  }
}

/** The lines `npm run bench` prints for the section. */
export function describeReplicas(result: ReplicasBenchResult, cores: number): string[] {
  if ('skipped' in result) return [`replica set: skipped (${result.skipped})`];
  if ('failed' in result) return [`replica set: FAILED (${result.failed})`];
  const { settings, one, three, recovery } = result;
  const row = (t: ThroughputResult) =>
    `replica set, ${t.replicas} replica(s): ${t.eventsPerSecond} events/s stored in JetStream vs emulator ${t.emulatorFactsPerSecond} facts/s (${t.emulatorNotificationsPerSecond} notifications/s): ratio ${t.ratioToFacts}; stored/truth ${t.stored}/${t.truth} (${t.duplicates} duplicate(s), ${t.missing} missing, ${t.extra} extra); fact → stored p50 ${t.latencyP50Ms} / p99 ${t.latencyP99Ms} ms (${t.latencyP99NoWrapupMs} without wrap-ups); peak backlog ${t.peakFrameBacklog} frames, ${t.peakSinkBacklog} events (medians of ${t.rounds.length} round(s))`;
  return [
    `replica set: ${settings.shards} shards, ${settings.conversationsPerSecond} conversations/s offered for ${settings.windowMs} ms a round, everything on ${cores} cores (load average ${settings.loadAverage.before} → ${settings.loadAverage.after})`,
    row(one),
    row(three),
    `replica set: three/one events/s ${result.scaling}`,
    `replica set: SIGKILLed owner's shards flowing again after min ${recovery.minMs} / median ${recovery.medianMs} / max ${recovery.maxMs} ms over ${recovery.kills.length} kill(s) (lease TTL ${recovery.leaseTtlMs} ms)`,
  ];
}

/** Run alone: `node --import tsx bench/replicas.ts [--quick]`. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchReplicas({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
  for (const line of describeReplicas(result, cpus().length)) console.log(line);
}
