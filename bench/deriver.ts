/**
 * Throughput of the lifecycle deriver: notification frame text → frame → snapshot → events, against bare
 * `JSON.parse` of the same frames measured in the same run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LifecycleDeriver, parseConversationSnapshot } from '../src/conversations/index.js';
import { parseFrame } from '../src/stream/frames.js';

/** What {@link benchDeriver} measured. */
export interface DeriverBenchResult {
  frames: number;
  averageFrameBytes: number;
  /** Frames parsed and derived per second (median round). */
  snapshotsPerSecond: number;
  /** Frames `JSON.parse`d per second (median round). */
  jsonParsePerSecond: number;
  /** snapshotsPerSecond / jsonParsePerSecond: 1 would mean deriving costs nothing beyond parsing. */
  ratioToJsonParse: number;
  /** Events emitted per round (a sanity check that work was done). */
  eventsPerRound: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function jsonParseRound(frames: string[]): number {
  let keep = 0;
  for (const text of frames) keep += (JSON.parse(text) as { version?: string }).version === '2' ? 1 : 0;
  return keep;
}

function deriveRound(frames: string[]): number {
  // A fresh deriver each round, so every round emits the same facts instead of deduplicating them all.
  const deriver = new LifecycleDeriver({ maxConversations: frames.length });
  let events = 0;
  for (const text of frames) {
    const frame = parseFrame(text);
    if (frame.kind !== 'notification') continue;
    const snapshot = parseConversationSnapshot(frame.eventBody);
    const source = { kind: 'topic' as const, topic: frame.topicName, correlationId: frame.correlationId };
    events += deriver.ingest(snapshot, source).events.length;
  }
  return events;
}

function timed(run: () => number): [seconds: number, result: number] {
  const start = process.hrtime.bigint();
  const result = run();
  return [Number(process.hrtime.bigint() - start) / 1e9, result];
}

/** Measures frames → events against `JSON.parse` of the same frames, alternating rounds to share the noise. */
export function benchDeriver(frames: string[], options: { rounds?: number } = {}): DeriverBenchResult {
  const rounds = options.rounds ?? 7;
  jsonParseRound(frames);
  deriveRound(frames);
  const parseRates: number[] = [];
  const deriveRates: number[] = [];
  let eventsPerRound = 0;
  for (let r = 0; r < rounds; r++) {
    const [parseSeconds] = timed(() => jsonParseRound(frames));
    const [deriveSeconds, events] = timed(() => deriveRound(frames));
    parseRates.push(frames.length / parseSeconds);
    deriveRates.push(frames.length / deriveSeconds);
    eventsPerRound = events;
  }
  const snapshotsPerSecond = median(deriveRates);
  const jsonParsePerSecond = median(parseRates);
  const bytes = frames.reduce((sum, f) => sum + f.length, 0);
  return {
    frames: frames.length,
    averageFrameBytes: Math.round(bytes / frames.length),
    snapshotsPerSecond: Math.round(snapshotsPerSecond),
    jsonParsePerSecond: Math.round(jsonParsePerSecond),
    ratioToJsonParse: Math.round((snapshotsPerSecond / jsonParsePerSecond) * 1000) / 1000,
    eventsPerRound,
  };
}

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'snapshots');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * Realistic frames for the benchmark: the recorded-style fixture conversations, copied `copies` times with fresh
 * conversation and participant ids, each copy's frames interleaved with the others' as a busy org would send them.
 */
export function fixtureFrames(copies: number): string[] {
  const sets = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) =>
      readFileSync(join(FIXTURES, f), 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
  const conversations: string[][] = [];
  for (let c = 0; c < copies; c++) {
    const tag = c.toString(16).padStart(8, '0');
    for (const lines of sets) {
      // Every id (conversation, participants, and with them topics) gets a per-copy tail: distinct conversations.
      conversations.push(lines.map((line) => line.replace(UUID, (id) => `${id.slice(0, 28)}${tag}`)));
    }
  }
  const frames: string[] = [];
  for (let i = 0; conversations.some((lines) => i < lines.length); i++) {
    for (const lines of conversations) if (i < lines.length) frames.push(lines[i]!);
  }
  return frames;
}
