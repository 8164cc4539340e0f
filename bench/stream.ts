/**
 * Stream benchmarks on recorded realistic frames: pipeline throughput against bare JSON.parse of the same frames
 * (measured in the same run, alternating rounds so both share the machine's noise), added latency at a paced
 * 5,000 snapshots/s, and retained memory per live conversation.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LifecycleDeriver, parseConversationSnapshot } from '../src/conversations/index.js';
import { EventPipeline } from '../src/pipeline/event-pipeline.js';
import { parseFrame } from '../src/stream/frames.js';

/** Reads that never answer: the bench measures the pipeline, not REST. */
const never = (): Promise<never> => new Promise(() => undefined);
const noRest = { readAnalytics: never, readConversation: never };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function seconds(run: () => void): number {
  const start = performance.now();
  run();
  return (performance.now() - start) / 1000;
}

function jsonParseRound(frames: string[]): void {
  let keep = 0;
  for (const text of frames) keep += (JSON.parse(text) as { version?: string }).version === '2' ? 1 : 0;
  if (keep < 0) throw new Error('unreachable');
}

function pipelineRound(frames: string[]): number {
  const pipeline = new EventPipeline({
    reader: noRest,
    deriver: { maxConversations: frames.length },
  });
  for (const text of frames) pipeline.receiveFrame(text);
  const events = pipeline.stats().eventsTotal;
  pipeline.close();
  return events;
}

export interface ThroughputResult {
  frames: number;
  averageFrameBytes: number;
  rounds: number;
  jsonParseFramesPerSecond: number;
  pipelineFramesPerSecond: number;
  /** pipeline / JSON.parse, median of per-round ratios. */
  ratioToJsonParse: number;
  eventsPerRound: number;
}

/** Frame text → events through the whole pipeline with a null sink, against JSON.parse of the same frames. */
export function benchThroughput(frames: string[], rounds = 7): ThroughputResult {
  jsonParseRound(frames);
  pipelineRound(frames);
  const parseRates: number[] = [];
  const pipelineRates: number[] = [];
  const ratios: number[] = [];
  let eventsPerRound = 0;
  for (let round = 0; round < rounds; round++) {
    const parse = frames.length / seconds(() => jsonParseRound(frames));
    const pipe =
      frames.length /
      seconds(() => {
        eventsPerRound = pipelineRound(frames);
      });
    parseRates.push(parse);
    pipelineRates.push(pipe);
    ratios.push(pipe / parse);
  }
  return {
    frames: frames.length,
    averageFrameBytes: Math.round(frames.reduce((sum, f) => sum + f.length, 0) / frames.length),
    rounds,
    jsonParseFramesPerSecond: Math.round(median(parseRates)),
    pipelineFramesPerSecond: Math.round(median(pipelineRates)),
    ratioToJsonParse: Math.round(median(ratios) * 1000) / 1000,
    eventsPerRound,
  };
}

export interface LatencyResult {
  targetPerSecond: number;
  frames: number;
  achievedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Frames arrive on a fixed schedule (`rate` per second); each frame's added latency is the time from its scheduled
 * arrival until the pipeline has emitted its events. Queueing behind earlier frames counts, as it would live.
 */
export async function benchLatency(
  frames: string[],
  rate = 5000,
  durationSeconds = 4,
): Promise<LatencyResult> {
  const total = Math.min(frames.length, rate * durationSeconds);
  const pipeline = new EventPipeline({ reader: noRest, deriver: { maxConversations: total } });
  const latencies: number[] = new Array(total);
  const start = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (next < due) {
        pipeline.receiveFrame(frames[next]!);
        latencies[next] = performance.now() - (start + (next / rate) * 1000);
        next++;
      }
      if (next >= total) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  pipeline.close();
  return {
    targetPerSecond: rate,
    frames: total,
    achievedPerSecond: Math.round(total / elapsed),
    p50Ms: Math.round(percentile(latencies, 50) * 1000) / 1000,
    p99Ms: Math.round(percentile(latencies, 99) * 1000) / 1000,
    maxMs: Math.round(Math.max(...latencies) * 1000) / 1000,
  };
}

export interface MemoryResult {
  liveConversations: number;
  snapshotsIngested: number;
  retainedBytes: number;
  bytesPerLiveConversation: number;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Each conversation's frames up to (not including) the one that ends it: a conversation still in progress. */
function liveSequences(frames: string[]): string[][] {
  const byConversation = new Map<string, string[]>();
  for (const text of frames) {
    const id = (JSON.parse(text) as { eventBody: { id: string } }).eventBody.id;
    const list = byConversation.get(id);
    if (list) list.push(text);
    else byConversation.set(id, [text]);
  }
  const sequences: string[][] = [];
  for (const list of byConversation.values()) {
    const scratch = new LifecycleDeriver();
    const kept: string[] = [];
    for (const text of list) {
      const frame = parseFrame(text);
      if (frame.kind !== 'notification') continue;
      const result = scratch.ingest(parseConversationSnapshot(frame.eventBody), { kind: 'replay' });
      if (result.events.some((event) => event.type === 'conversation.ended')) break;
      kept.push(text);
    }
    if (kept.length > 0) sequences.push(kept);
  }
  return sequences;
}

/** Copies a conversation's frames with every id replaced, so copies share no strings. */
function remapIds(sequence: string[]): string[] {
  const ids = new Map<string, string>();
  return sequence.map((text) =>
    text.replace(UUID, (id) => {
      const known = ids.get(id);
      if (known) return known;
      const fresh = randomUUID();
      ids.set(id, fresh);
      return fresh;
    }),
  );
}

/** Retained heap of the deriver's state per conversation in progress (needs `--expose-gc`). */
export function benchMemory(frames: string[], conversations = 20_000): MemoryResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('benchMemory needs node --expose-gc');
  const sequences = liveSequences(frames);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const deriver = new LifecycleDeriver({ maxConversations: conversations * 2 });
  let snapshots = 0;
  for (let i = 0; i < conversations; i++) {
    // Each copy is made, ingested and dropped in turn, so only the deriver's state outlives the loop.
    for (const text of remapIds(sequences[i % sequences.length]!)) {
      const frame = parseFrame(text);
      if (frame.kind !== 'notification') continue;
      deriver.ingest(parseConversationSnapshot(frame.eventBody), { kind: 'replay' });
      snapshots++;
    }
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const live = deriver.liveConversationIds().length;
  return {
    liveConversations: live,
    snapshotsIngested: snapshots,
    retainedBytes: after - before,
    bytesPerLiveConversation: Math.round((after - before) / live),
  };
}
