/**
 * The EventBridge source's throughput on one core: SQS message bodies (EventBridge envelopes of detail events, as the
 * emulator's integration sends them into the queue) → `readEventBridgeMessage` → the pipeline the `SqsSource` feeds
 * (detail-event assembler, processor, deriver) → a null sink, against bare `JSON.parse` of the same bodies, measured
 * in the same run in alternating rounds. The messages are a minute of the emulated world's traffic on a manual clock;
 * the pipeline's hold and settle timers run on hand-moved timers too, moved to each message's send time as it is read,
 * so records are held and released as they would be live, and `finishDetailEvents` derives what is still held at
 * the end.
 */
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_EVENTBRIDGE_SETTINGS,
  EventBridgeIntegration,
  SqsQueue,
} from '../src/emulator/eventbridge/index.js';
import type { SqsQueueOptions } from '../src/emulator/eventbridge/sqs-queue.js';
import { createWorld, ManualClock } from '../src/emulator/world/index.js';
import { readEventBridgeMessage } from '../src/eventbridge/index.js';
import { EventPipeline } from '../src/pipeline/event-pipeline.js';
import type { Timers } from '../src/timers.js';

const START = Date.UTC(2026, 2, 10, 9, 0, 0);

/** One message as the queue got it: its body and when it was sent (emulated time, epoch ms). */
export interface RecordedMessage {
  body: string;
  at: number;
}

/** The queue, keeping each body it is sent in order. */
class RecordingQueue extends SqsQueue {
  readonly recorded: RecordedMessage[] = [];

  constructor(
    options: SqsQueueOptions,
    private readonly manualClock: ManualClock,
  ) {
    super(options);
  }

  override send(body: string, delayMs = 0) {
    this.recorded.push({ body, at: this.manualClock.now() + delayMs });
    return super.send(body, delayMs);
  }
}

/** The recorded messages, and how many notification frames the world published in all. */
export interface RecordedTraffic {
  messages: RecordedMessage[];
  frames: number;
}

/**
 * A minute of the world's live traffic (then its conversations run to their end), with the integration's default
 * topic filters (the detail events a lifecycle needs): every message the integration sends into the queue.
 */
export function recordEventBridgeMessages(seed = 11): RecordedTraffic {
  const clock = new ManualClock(START);
  const settings = {
    ...DEFAULT_EVENTBRIDGE_SETTINGS,
    topicFilters: [...DEFAULT_EVENTBRIDGE_SETTINGS.topicFilters],
  };
  const queue = new RecordingQueue(
    {
      name: settings.queueName,
      region: settings.region,
      accountId: settings.accountId,
      endpoint: 'http://127.0.0.1:0',
      clock,
    },
    clock,
  );
  const integration = new EventBridgeIntegration(settings, queue, 'bench-org', () => clock.now());
  let frames = 0;
  const world = createWorld(
    {
      seed,
      agents: 12,
      queues: 4,
      contacts: 40,
      historyDays: 0,
      conversationsPerMinute: 20,
      timeScale: 30,
    },
    {
      publish: (topic, body) => {
        frames++;
        integration.offer(topic, body);
      },
      detailEventsWanted: () => integration.wantsDetailEvents(),
    },
    clock,
  );
  world.start();
  clock.advance(60_000);
  world.setTraffic(0);
  clock.advance(60 * 60_000);
  void world.stop();
  queue.close();
  return { messages: queue.recorded, frames };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seconds(run: () => void): number {
  const start = performance.now();
  run();
  return (performance.now() - start) / 1000;
}

function jsonParseRound(messages: RecordedMessage[]): void {
  let keep = 0;
  for (const { body } of messages) keep += (JSON.parse(body) as { version?: string }).version === '0' ? 1 : 0;
  if (keep < 0) throw new Error('unreachable');
}

/** Reads that never answer: the bench measures the pipeline, not REST. */
const never = (): Promise<never> => new Promise(() => undefined);
const noRest = { readAnalytics: never, readConversation: never };

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * Timers moved by hand, kept in a binary heap so that running them costs about what Node's own timers do (the
 * emulator's `ManualClock` scans every timer on each move, which would be counted against the pipeline here).
 */
class HeapTimers implements Timers {
  private current: number;
  private seq = 0;
  private readonly heap: Timer[] = [];
  private readonly cleared = new Set<number>();

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { due: this.current + Math.max(0, ms), seq: ++this.seq, fn };
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
    return timer.seq;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.cleared.add(handle);
  }

  /** Moves time to `at`, running every timer due by then in due-time order (including ones they set). */
  advanceTo(at: number): void {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.due > at) break;
      this.pop();
      if (this.cleared.delete(next.seq)) continue;
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = Math.max(this.current, at);
  }

  private before(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && this.before(heap[right]!, heap[least]!)) least = right;
      if (least === i) break;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}

/** Every message through the pipeline; returns the events the null sink got. */
function pipelineRound(messages: RecordedMessage[]): number {
  const clock = new HeapTimers(START);
  let events = 0;
  const pipeline = new EventPipeline({
    reader: noRest,
    deriver: { maxConversations: messages.length },
    now: () => clock.now(),
    detailEvents: { timers: clock },
    deliver: () => {
      events++;
    },
  });
  for (const { body, at } of messages) {
    clock.advanceTo(at);
    const reading = readEventBridgeMessage(body, at);
    if (reading.kind === 'notification') pipeline.receive(reading.notification);
  }
  pipeline.finishDetailEvents();
  pipeline.close();
  return events;
}

export interface EventBridgeBenchResult {
  /** Notification frames the world published over the recording (aggregate topics and detail events). */
  worldFrames: number;
  /** SQS messages: the detail events the integration's topic filters matched. */
  messages: number;
  averageMessageBytes: number;
  rounds: number;
  jsonParseMessagesPerSecond: number;
  pipelineMessagesPerSecond: number;
  /** Lifecycle events to the null sink per second (median round). */
  eventsPerSecond: number;
  /** pipeline / JSON.parse, median of per-round ratios. */
  ratioToJsonParse: number;
  eventsPerRound: number;
}

/** SQS message body → events through the EventBridge path with a null sink, against JSON.parse of the same bodies. */
export function benchEventBridge(traffic: RecordedTraffic, rounds = 7): EventBridgeBenchResult {
  const { messages } = traffic;
  jsonParseRound(messages);
  pipelineRound(messages);
  const parseRates: number[] = [];
  const pipelineRates: number[] = [];
  const eventRates: number[] = [];
  const ratios: number[] = [];
  let eventsPerRound = 0;
  for (let round = 0; round < rounds; round++) {
    const parse = messages.length / seconds(() => jsonParseRound(messages));
    const elapsed = seconds(() => {
      eventsPerRound = pipelineRound(messages);
    });
    parseRates.push(parse);
    pipelineRates.push(messages.length / elapsed);
    eventRates.push(eventsPerRound / elapsed);
    ratios.push(messages.length / elapsed / parse);
  }
  return {
    worldFrames: traffic.frames,
    messages: messages.length,
    averageMessageBytes: Math.round(messages.reduce((sum, m) => sum + m.body.length, 0) / messages.length),
    rounds,
    jsonParseMessagesPerSecond: Math.round(median(parseRates)),
    pipelineMessagesPerSecond: Math.round(median(pipelineRates)),
    eventsPerSecond: Math.round(median(eventRates)),
    ratioToJsonParse: Math.round(median(ratios) * 1000) / 1000,
    eventsPerRound,
  };
}

/** The section's line, as `npm run bench` prints it. */
export function describeEventBridge(result: EventBridgeBenchResult): string {
  return `eventbridge: ${result.messages} SQS messages (detail events of ${result.worldFrames} frames), average ${result.averageMessageBytes} bytes; JSON.parse baseline: ${result.jsonParseMessagesPerSecond} messages/s; message → events: ${result.pipelineMessagesPerSecond} messages/s, ${result.eventsPerSecond} events/s, ratio ${result.ratioToJsonParse} (median of ${result.rounds} rounds, one core)`;
}
