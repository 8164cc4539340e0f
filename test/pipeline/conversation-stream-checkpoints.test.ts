/**
 * ConversationStream's replica options: a held start and `activate()`, checkpoint epochs and fencing, checkpoints
 * that wait for the sinks, and a stop that writes nothing. Notifications come from a source the test drives; the
 * checkpoints go to a SQLite store in a temporary directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, startEmulator } from '../../src/emulator/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import {
  type ConversationStream,
  type ConversationStreamOptions,
  createConversationStream,
  type StreamCheckpoint,
} from '../../src/pipeline/conversation-stream.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { EventDispatcher } from '../../src/sinks/dispatcher.js';
import type { EventSink, FlushOptions, SinkHealth } from '../../src/sinks/types.js';
import {
  type Checkpoint,
  openSqliteStore,
  type PutCheckpointOptions,
  type SqliteStore,
} from '../../src/store/index.js';
import { parseFrame } from '../../src/stream/frames.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import type { NotificationHandler, NotificationSource } from '../../src/stream/source.js';
import { queueTopic } from '../../src/stream/topics.js';
import { type Frame, loadFrames, loadRestConversation } from '../conversations/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const FIXTURE = 'voice-inbound-basic';
const FRAMES = loadFrames(FIXTURE);
const KEY = 'stream:test';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-stream-'));
let dbCount = 0;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A SQLite store in the temporary directory that also records every write it was asked for. */
class RecordingStore {
  readonly puts: Array<{
    key: string;
    value: StreamCheckpoint;
    options: PutCheckpointOptions | undefined;
    written: boolean;
  }> = [];
  readonly sqlite: SqliteStore;

  constructor() {
    this.sqlite = openSqliteStore({ path: join(dir, `store-${++dbCount}.db`) });
    cleanups.push(() => this.sqlite.close());
  }

  getCheckpoint<T = unknown>(key: string): Promise<Checkpoint<T> | undefined> {
    return this.sqlite.getCheckpoint<T>(key);
  }

  async putCheckpoint<T = unknown>(key: string, value: T, options?: PutCheckpointOptions): Promise<boolean> {
    const written = await this.sqlite.putCheckpoint(key, value, options);
    this.puts.push({ key, value: value as StreamCheckpoint, options, written });
    return written;
  }

  deleteCheckpoint(key: string): Promise<void> {
    return this.sqlite.deleteCheckpoint(key);
  }

  /** Forgets the writes recorded so far. */
  forget(): void {
    this.puts.length = 0;
  }

  async stored(): Promise<Checkpoint<StreamCheckpoint> | undefined> {
    return this.sqlite.getCheckpoint<StreamCheckpoint>(KEY);
  }
}

/** A source the test feeds by hand. */
class ManualSource implements NotificationSource {
  private handler: NotificationHandler | undefined;

  onNotification(handler: NotificationHandler): void {
    this.handler = handler;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  emit(frame: Frame, receivedAt = Date.now()): void {
    const notification = parseFrame(JSON.stringify(frame));
    assert.equal(notification.kind, 'notification', 'a notification frame');
    if (notification.kind !== 'notification') return;
    assert.ok(this.handler, 'the stream listens');
    this.handler({ ...notification, channelId: 'channel-1', receivedAt });
  }
}

/** A sink whose flushes the test answers. */
class ControlledSink implements EventSink {
  readonly name = 'controlled';
  readonly kind = 'test';
  readonly events: LifecycleEvent[] = [];
  readonly flushes: Array<{ options: FlushOptions | undefined; answer: (drained: boolean) => void }> = [];
  /** Answer flushes at once with this; undefined leaves them to the test (or to their timeout, as `false`). */
  autoAnswer: boolean | undefined = true;

  /** Forgets the flushes recorded so far. */
  forget(): void {
    this.flushes.length = 0;
  }

  write(event: LifecycleEvent): boolean {
    this.events.push(event);
    return true;
  }

  async whenWritable(): Promise<boolean> {
    return true;
  }

  flush(options?: FlushOptions): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.autoAnswer !== undefined) {
        this.flushes.push({ options, answer: resolve });
        resolve(this.autoAnswer);
        return;
      }
      // Unanswered, it times out as a real sink's flush does.
      const timer = setTimeout(() => resolve(false), options?.timeoutMs ?? 5000);
      this.flushes.push({
        options,
        answer: (drained) => {
          clearTimeout(timer);
          resolve(drained);
        },
      });
    });
  }

  async close(): Promise<void> {}

  health(): SinkHealth {
    return { name: this.name, kind: this.kind } as SinkHealth;
  }
}

/** Answers wrap-up code reads with the conversation as REST returns it (the recorded fixture has no analytics). */
const restPort = {
  getConversation: async () => loadRestConversation(FIXTURE),
  getConversationDetails: async () => [],
} as unknown as NotificationsPort;
/** With no analytics record to wait for, lookups go straight to the REST read. */
const NO_ANALYTICS = { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 };

interface Run {
  stream: ConversationStream;
  source: ManualSource;
  events: LifecycleEvent[];
}

async function startStream(options: Partial<ConversationStreamOptions> = {}): Promise<Run> {
  const source = new ManualSource();
  const stream = createConversationStream({
    port: restPort,
    source,
    checkpointKey: KEY,
    lookups: NO_ANALYTICS,
    ...options,
  });
  const events: LifecycleEvent[] = [];
  stream.onAny((event) => {
    events.push(event);
  });
  await stream.start();
  cleanups.push(() => stream.stop({ checkpoint: false, drainMs: 0 }));
  // A running stream may checkpoint as soon as it starts; the tests look at what their own calls write.
  await new Promise((resolve) => setTimeout(resolve, 20));
  if (options.store instanceof RecordingStore) options.store.forget();
  for (const sink of options.sinks?.sinks ?? []) if (sink instanceof ControlledSink) sink.forget();
  return { stream, source, events };
}

const ids = (events: LifecycleEvent[]) => new Set(events.map((e) => e.id));

describe('ConversationStream: hold and activate', { timeout: 10_000 }, () => {
  it('keeps frames while held; activate restores the checkpoint and derives only what it does not cover', async () => {
    // Everything the conversation yields, seen by one stream from the start.
    const whole = await startStream();
    for (const frame of FRAMES) whole.source.emit(frame);
    await whole.stream.pipeline.idle();
    const all = ids(whole.events);
    assert.ok(all.size >= 4, `the fixture yields events (${all.size})`);

    // The previous owner saw the first half and checkpointed as it let go.
    const store = new RecordingStore();
    const split = Math.floor(FRAMES.length / 2);
    const previous = await startStream({ store });
    for (const frame of FRAMES.slice(0, split)) previous.source.emit(frame);
    await previous.stream.pipeline.idle();
    await previous.stream.stop({ drainMs: 500 });
    assert.ok(await store.stored(), 'the previous owner checkpointed');
    const before = ids(previous.events);
    assert.ok(
      before.size > 0 && before.size < all.size,
      `the first half yields part (${before.size}/${all.size})`,
    );

    // The new owner connected (held) before the old one let go: it received every frame, the first half too.
    const next = await startStream({ store, hold: true });
    assert.equal(next.stream.isHeld, true);
    for (const frame of FRAMES) next.source.emit(frame);
    assert.equal(next.stream.pipeline.stats().notifications, 0, 'nothing processed while held');
    assert.equal(next.events.length, 0, 'no event while held');

    await next.stream.activate();
    await next.stream.pipeline.idle();
    assert.equal(next.stream.isHeld, false);
    assert.equal(next.stream.pipeline.stats().notifications, FRAMES.length, 'every kept frame replayed');
    const derived = ids(next.events);
    assert.deepEqual(
      [...derived].filter((id) => before.has(id)),
      [],
      'nothing the checkpoint covers is derived again',
    );
    assert.deepEqual(
      [...all].filter((id) => !before.has(id) && !derived.has(id)),
      [],
      'everything after the checkpoint is derived',
    );
    assert.equal(derived.size, all.size - before.size);
  });

  it('a held stream with no checkpoint to restore derives everything it kept', async () => {
    const store = new RecordingStore();
    const run = await startStream({ store, hold: true });
    for (const frame of FRAMES) run.source.emit(frame);
    assert.equal(run.events.length, 0, 'held');
    await run.stream.activate();
    await run.stream.pipeline.idle();
    assert.ok(run.events.length >= 4, `derived on activation (${run.events.length})`);
    await run.stream.activate(); // a second activation does nothing
    assert.equal(run.stream.pipeline.stats().notifications, FRAMES.length, 'replayed once');
  });

  it('a held stream that is stopped writes no checkpoint', async () => {
    const store = new RecordingStore();
    const run = await startStream({ store, hold: true });
    for (const frame of FRAMES) run.source.emit(frame);
    await run.stream.stop({ drainMs: 100 });
    assert.deepEqual(store.puts, [], 'nothing written: the owner it never took over from stands');
  });
});

describe('ConversationStream: restart gap on activation (live pool)', { timeout: 10_000 }, () => {
  /** A held stream over the emulator (no world: the topic names a queue that need not exist), on one channel. */
  async function heldLiveStream(store: RecordingStore): Promise<ConversationStream> {
    const emulator = await startEmulator({ world: false, heartbeatIntervalMs: 50 });
    cleanups.push(() => emulator.stop());
    const client = createPlatformClient({
      region: emulator.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
    });
    cleanups.push(() => client.close());
    const stream = createConversationStream({
      port: createNotificationsPort(client),
      topics: [queueTopic('00000000-0000-4000-8000-00000000000a')],
      store,
      checkpointKey: KEY,
      hold: true,
      backfill: false,
      timing: {
        heartbeatIntervalMs: 200,
        watchdogMultiple: 5,
        backoff: { initialDelayMs: 10, maxDelayMs: 50 },
      },
    });
    cleanups.push(() => stream.stop({ checkpoint: false, drainMs: 0 }));
    await stream.start();
    assert.ok(stream.pool?.health().connected, 'connected while held');
    return stream;
  }

  /** A checkpoint with an empty deriver state, covered until `coveredUntil`. */
  const checkpointAt = (coveredUntil: number): StreamCheckpoint => ({
    version: 2,
    deriver: createConversationStream({}).pipeline.processor.deriver.exportState(),
    coveredUntil,
    recovery: { gaps: [], conversations: [] },
  });

  it('notes a restart gap from the checkpoint when it is older than the moment the held stream connected', async () => {
    const store = new RecordingStore();
    const coveredUntil = Date.now() - 60_000;
    await store.sqlite.putCheckpoint(KEY, checkpointAt(coveredUntil));
    const connectingAt = Date.now();
    const stream = await heldLiveStream(store);
    assert.equal(stream.health().gaps.total, 0, 'no gap while held');

    await stream.activate();
    const gaps = stream.health().gaps;
    assert.equal(gaps.total, 1, 'one gap noted on activation');
    assert.equal(gaps.last?.reason, 'restart');
    assert.equal(Date.parse(gaps.last!.start), coveredUntil, 'from the restored coverage time');
    assert.ok(Date.parse(gaps.last!.end) >= connectingAt, 'to now');
  });

  it('notes no gap when the previous owner covered past the moment the held stream connected', async () => {
    const store = new RecordingStore();
    const stream = await heldLiveStream(store);
    // The old owner's final checkpoint, written after this stream connected.
    await store.sqlite.putCheckpoint(KEY, checkpointAt(Date.now()));
    await stream.activate();
    assert.equal(stream.health().gaps.total, 0, 'nothing to backfill');
  });
});

describe('ConversationStream: checkpoint epochs', { timeout: 10_000 }, () => {
  it('passes the epoch to the store, and writes nothing while the epoch function says undefined', async () => {
    const store = new RecordingStore();
    let epoch: number | undefined = 7;
    const run = await startStream({ store, checkpointEpoch: () => epoch });
    run.source.emit(FRAMES[0]!, 1000);
    await run.stream.checkpoint();
    assert.deepEqual(
      store.puts.map((p) => p.options),
      [{ epoch: 7 }],
    );
    assert.equal((await store.stored())?.epoch, 7, 'stored with its epoch');
    const firstWrite = run.stream.health().checkpoint.lastWrittenAt;
    assert.ok(firstWrite, 'the write is reported');

    epoch = undefined;
    run.source.emit(FRAMES[1]!, 2000);
    await run.stream.checkpoint();
    assert.equal(store.puts.length, 1, 'no write while the writer may not act');
    assert.equal((await store.stored())?.value.coveredUntil, 1000, 'the stored state is the earlier one');
    assert.equal(run.stream.health().checkpoint.lastWrittenAt, firstWrite);

    epoch = 8;
    await run.stream.checkpoint();
    assert.equal((await store.stored())?.value.coveredUntil, 2000, 'written again once allowed');
    assert.equal((await store.stored())?.epoch, 8);
  });

  it('calls onFenced when the store refuses the epoch, and the newer writer’s checkpoint stands', async () => {
    const store = new RecordingStore();
    const theirs = createConversationStream({}).pipeline.processor.deriver.exportState();
    await store.sqlite.putCheckpoint(KEY, { version: 1, deriver: theirs, coveredUntil: 42 }, { epoch: 9 });
    let fenced = 0;
    const run = await startStream({ store, checkpointEpoch: () => 5, onFenced: () => fenced++ });
    fenced = 0; // a checkpoint at start may have been refused already
    run.source.emit(FRAMES[0]!, 1000);
    await run.stream.checkpoint();
    assert.equal(fenced, 1, 'told once');
    assert.deepEqual(
      store.puts.map((p) => [p.options, p.written]),
      [[{ epoch: 5 }, false]],
    );
    const stored = await store.stored();
    assert.equal(stored?.epoch, 9);
    assert.equal(stored?.value.coveredUntil, 42, "the newer writer's state is untouched");
    assert.equal(run.stream.health().checkpoint.lastWrittenAt, undefined, 'not reported as written');
  });

  it('does not call onFenced when its epoch is accepted', async () => {
    const store = new RecordingStore();
    let fenced = 0;
    const run = await startStream({ store, checkpointEpoch: () => 3, onFenced: () => fenced++ });
    assert.equal(fenced, 0, 'not fenced at start');
    run.source.emit(FRAMES[0]!, 1000);
    await run.stream.checkpoint();
    await run.stream.checkpoint();
    assert.equal(fenced, 0);
    assert.equal(store.puts.filter((p) => p.written).length, 2);
  });
});

describe('ConversationStream: checkpoints after delivery', { timeout: 10_000 }, () => {
  it('waits for the sinks to deliver the events derived before the checkpoint, then writes that state', async () => {
    const store = new RecordingStore();
    const sink = new ControlledSink();
    const run = await startStream({
      store,
      sinks: new EventDispatcher([sink]),
      checkpointAfterDelivery: true,
      checkpointEveryMs: 4000,
    });
    const split = Math.floor(FRAMES.length / 2);
    for (const frame of FRAMES.slice(0, split)) run.source.emit(frame, 1000);
    await run.stream.pipeline.idle();
    assert.ok(sink.events.length > 0, 'the sink took events');

    sink.autoAnswer = undefined;
    const before = Date.now();
    const checkpoint = run.stream.checkpoint();
    const afterCall = Date.now();
    await waitFor(() => sink.flushes.length === 1, 'the flush', 3_000);
    const { options, answer } = sink.flushes[0]!;
    assert.ok(
      options?.acceptedUpTo !== undefined &&
        options.acceptedUpTo >= before &&
        options.acceptedUpTo <= afterCall,
      `waits only for events accepted up to the checkpoint's moment (${options?.acceptedUpTo} in ${before}..${afterCall})`,
    );
    assert.equal(options?.timeoutMs, 4000, 'bounded by the checkpoint interval');

    // More arrives while the sinks deliver: it belongs to the next checkpoint, not this one.
    for (const frame of FRAMES.slice(split)) run.source.emit(frame, 2000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(store.puts.length, 0, 'nothing written before the sinks delivered');

    answer(true);
    await checkpoint;
    assert.equal(store.puts.length, 1, 'written once delivered');
    assert.equal((await store.stored())?.value.coveredUntil, 1000, 'the state taken before the wait');
  });

  it('skips the checkpoint when the sinks do not deliver in time', async () => {
    const store = new RecordingStore();
    const sink = new ControlledSink();
    const run = await startStream({
      store,
      sinks: new EventDispatcher([sink]),
      checkpointAfterDelivery: true,
    });
    for (const frame of FRAMES) run.source.emit(frame, 1000);
    await run.stream.pipeline.idle();
    const lastWritten = run.stream.health().checkpoint.lastWrittenAt;
    sink.autoAnswer = false;
    await run.stream.checkpoint();
    assert.equal(sink.flushes.length, 1, 'the sinks were asked');
    assert.equal(store.puts.length, 0, 'nothing written');
    assert.equal((await store.stored())?.value.coveredUntil, undefined, 'no checkpoint covers the frames');
    assert.equal(run.stream.health().checkpoint.lastWrittenAt, lastWritten, 'not reported as written');

    sink.autoAnswer = true;
    await run.stream.checkpoint();
    assert.equal(store.puts.length, 1, 'written once the sinks caught up');
  });

  it('a single process waits until the events are durable in the outboxes, and skips the checkpoint otherwise', async () => {
    const store = new RecordingStore();
    const sink = new ControlledSink();
    const run = await startStream({ store, sinks: new EventDispatcher([sink]) });
    run.source.emit(FRAMES[0]!, 1000);
    await run.stream.pipeline.idle();
    sink.autoAnswer = false;
    await run.stream.checkpoint();
    assert.equal(sink.flushes.length, 1, 'the sinks were asked');
    assert.equal(sink.flushes[0]!.options?.until, 'durable', 'durable in the outbox is enough');
    assert.equal(store.puts.length, 0, 'nothing written while an event is neither durable nor delivered');
    sink.autoAnswer = true;
    await run.stream.checkpoint();
    assert.equal(store.puts.length, 1);
  });

  it('a replica waits for delivery itself', async () => {
    const store = new RecordingStore();
    const sink = new ControlledSink();
    const run = await startStream({
      store,
      sinks: new EventDispatcher([sink]),
      checkpointAfterDelivery: true,
    });
    run.source.emit(FRAMES[0]!, 1000);
    await run.stream.checkpoint();
    assert.equal(sink.flushes[0]!.options?.until, 'delivered');
  });
});

describe('ConversationStream: stop', { timeout: 10_000 }, () => {
  it('stop({ checkpoint: false }) writes nothing; a plain stop writes the final state', async () => {
    const quiet = new RecordingStore();
    const lost = await startStream({ store: quiet });
    for (const frame of FRAMES) lost.source.emit(frame, 1000);
    await lost.stream.stop({ checkpoint: false, drainMs: 200 });
    assert.deepEqual(quiet.puts, [], 'a writer that lost its shard writes nothing');
    assert.equal((await quiet.stored())?.value.coveredUntil, undefined, 'no checkpoint covers the frames');

    const store = new RecordingStore();
    const graceful = await startStream({ store });
    for (const frame of FRAMES) graceful.source.emit(frame, 1000);
    await graceful.stream.stop({ drainMs: 200 });
    assert.equal(store.puts.length, 1, 'a graceful stop writes its final checkpoint');
    assert.equal((await store.stored())?.value.coveredUntil, 1000);
  });
});
