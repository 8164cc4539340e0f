import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { LifecycleEvent, ParticipantJoinedEvent } from '../../src/events.js';
import { EventPipeline } from '../../src/pipeline/event-pipeline.js';
import type { Notification } from '../../src/stream/frames.js';
import { FrameRecorder } from '../../src/stream/recording.js';
import { ReplaySource } from '../../src/stream/replay-source.js';
import { queueTopic } from '../../src/stream/topics.js';
import { WebSocketSource } from '../../src/stream/websocket-source.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';
import {
  AGGREGATE_ADDRESS,
  AGGREGATE_CONVERSATION,
  AGGREGATE_LINE,
  GARBAGE_LINE,
  HEARTBEAT_LINE,
  MEDIA_CONVERSATION,
  MEDIA_LINE,
  MEDIA_USER,
  PRESENCE_LINE,
  TRUNCATED_LINE,
} from './helpers/notification-lines.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-stream-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('FrameRecorder and ReplaySource', () => {
  it('record live frames, then replay them as the same notifications', async () => {
    const dir = await tempDir();
    const file = join(dir, 'frames.jsonl');
    const platform = await FakePlatform.start({ heartbeatIntervalMs: 15 });
    platform.queues = [
      { id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Sales' },
      { id: 'aaaaaaaa-0000-4000-8000-000000000002', name: 'Support' },
    ];
    const recorder = await FrameRecorder.open(file);
    const source = new WebSocketSource({
      port: new HttpPort(platform.url),
      selection: { queues: ['Sales', 'Support'] },
      recorder,
      timing: { heartbeatIntervalMs: 40, backoff: { initialDelayMs: 10, maxDelayMs: 40 } },
    });
    cleanups.push(async () => {
      await source.stop();
      await platform.stop();
    });
    const live: Notification[] = [];
    source.onNotification((n) => live.push(n));
    await source.start();
    const [sales, support] = platform.queues.map((q) => queueTopic(q.id));
    platform.publish(sales!, { id: 'c-1', participants: [{ id: 'p-1', purpose: 'customer' }] }, 'corr-1');
    platform.publish(support!, { id: 'c-2', participants: [] }, 'corr-2');
    platform.sendRaw([...platform.channels.values()][0]!, '{"broken":');
    platform.publish(sales!, { id: 'c-1', participants: [] }, 'corr-3');
    await waitFor(() => live.length === 3, 'three live notifications');
    await new Promise((resolve) => setTimeout(resolve, 40)); // let a heartbeat or two be recorded too
    await source.stop();
    assert.ok(recorder.frames >= 5, 'recorder.frames >= 5');

    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const first = JSON.parse(lines[0]!) as { receivedAt: string; channelId: string; frame: string };
    assert.match(first.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof first.frame, 'string');
    assert.equal(first.channelId, live[0]!.channelId);

    const replay = new ReplaySource({ file });
    const replayed: Notification[] = [];
    const malformed: Array<[number, string]> = [];
    replay.onNotification((n) => replayed.push(n));
    const withMalformed = new ReplaySource({
      file,
      onMalformed: (line, reason) => malformed.push([line, reason]),
    });
    await replay.start();
    const stats = await replay.finished();
    assert.equal(stats.notifications, 3);
    assert.equal(stats.unreadable, 1);
    assert.equal(stats.recorded, lines.length - 1);
    assert.equal(stats.bare, 0);
    assert.ok(stats.control >= 1, 'heartbeats were recorded and skipped');
    assert.equal(stats.lines, lines.length);
    const strip = (n: Notification) => ({
      topic: n.topic,
      eventBody: n.eventBody,
      correlationId: n.correlationId,
      channelId: n.channelId,
      receivedAt: n.receivedAt,
    });
    assert.deepEqual(replayed.map(strip), live.map(strip));
    assert.equal(replayed[0]!.replayed?.file, file);
    assert.ok((replayed[0]!.replayed?.line ?? 0) >= 1, '(replayed[0]!.replayed?.line ?? 0) >= 1');

    await withMalformed.start();
    await withMalformed.finished();
    assert.equal(malformed.length, 1);
    assert.equal(malformed[0]![1], 'truncated JSON', 'the frame {"broken": ends inside its object');
  });

  it('skips unreadable lines, accepts frames given as objects, and paces by recorded times', async () => {
    const dir = await tempDir();
    const file = join(dir, 'fixture.jsonl');
    const frame = (id: string) => ({ topicName: 'v2.users.u1.conversations', eventBody: { id } });
    await writeFile(
      file,
      [
        JSON.stringify({ receivedAt: '2024-05-01T10:00:00.000Z', channelId: 'ch', frame: frame('one') }),
        'not json',
        JSON.stringify({ receivedAt: 'yesterday', channelId: 'ch', frame: '{}' }),
        JSON.stringify({ receivedAt: '2024-05-01T10:00:00.100Z', frame: '{}' }),
        '',
        JSON.stringify({
          receivedAt: '2024-05-01T10:00:00.200Z',
          channelId: 'ch',
          frame: JSON.stringify(frame('two')),
        }),
      ].join('\n'),
    );
    const reasons: string[] = [];
    const seen: Array<[string, number]> = [];
    const replay = new ReplaySource({ file, speed: 1, onMalformed: (_line, reason) => reasons.push(reason) });
    replay.onNotification((n) => seen.push([n.eventBody.id as string, Date.now()]));
    await replay.start();
    const stats = await replay.finished();
    // A recorded frame without a channel id is still read (hand-written fixtures leave it out); '{}' is no frame.
    assert.deepEqual(reasons, ['not JSON', 'receivedAt is not an ISO time', 'no topicName']);
    assert.deepEqual(
      seen.map(([id]) => id),
      ['one', 'two'],
    );
    const paced = seen[1]![1] - seen[0]![1];
    assert.ok(paced >= 180, `replayed 200 ms of recording in ${paced} ms at speed 1`);
    assert.equal(stats.notifications, 2);
    assert.equal(stats.unreadable, 3);
    assert.equal(stats.blank, 1);
    assert.deepEqual(
      stats.firstUnreadable.map((u) => u.line),
      [2, 3, 4],
    );
  });

  it('reads bare notification lines, recorded frames and EventBridge events, and says why a line is unreadable', async () => {
    const dir = await tempDir();
    const file = join(dir, 'capture.jsonl');
    const recordedHeartbeat = JSON.stringify({
      receivedAt: '2026-01-05T10:00:40.000Z',
      channelId: 'streaming-0',
      frame: HEARTBEAT_LINE,
    });
    const eventBridge = JSON.stringify({
      version: '0',
      id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
      'detail-type': 'v2.routing.queues.{id}.conversations',
      source: 'aws.partner/genesys.com/cloud/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/switchboard',
      account: '123456789012',
      time: '2026-01-05T10:00:41Z',
      region: 'eu-west-1',
      resources: [],
      detail: JSON.parse(AGGREGATE_LINE) as unknown,
    });
    const lines = [
      AGGREGATE_LINE, // 1
      MEDIA_LINE, // 2
      HEARTBEAT_LINE, // 3
      GARBAGE_LINE, // 4
      TRUNCATED_LINE, // 5
      '', // 6
      PRESENCE_LINE, // 7
      recordedHeartbeat, // 8
      eventBridge, // 9
      '[1, 2]', // 10
      '{"message":"ping"}', // 11
      '{"topicName":"v2.users.x.conversations","eventBody":"gone"}', // 12
    ];
    await writeFile(file, `${lines.join('\r\n')}\r\n`);
    const replay = new ReplaySource({ file });
    const seen: Notification[] = [];
    const events: LifecycleEvent[] = [];
    const pipeline = new EventPipeline({
      reader: {
        readAnalytics: () => Promise.reject(new Error('offline')),
        readConversation: () => Promise.reject(new Error('offline')),
      },
      lookups: { firstLookAfterMs: 0, batchWindowMs: 0, horizonMs: 0 },
      deliver: (event) => events.push(event),
      now: () => Date.parse('2026-02-01T00:00:00.000Z'),
    });
    replay.onNotification((n) => {
      seen.push(n);
      pipeline.receive(n);
    });
    await replay.start();
    const stats = await replay.finished();
    await pipeline.idle();
    pipeline.close();

    assert.deepEqual(
      { ...stats, firstUnreadable: undefined },
      {
        lines: 12,
        blank: 1,
        recorded: 1,
        bare: 4, // aggregate, per-media, heartbeat, presence
        eventBridge: 1,
        notifications: 4, // aggregate, per-media, presence, EventBridge's aggregate
        control: 2, // the bare and the recorded heartbeat
        unreadable: 5,
        firstUnreadable: undefined,
      },
    );
    assert.deepEqual(stats.firstUnreadable, [
      { line: 4, reason: 'not JSON' },
      { line: 5, reason: 'truncated JSON' },
      { line: 10, reason: 'not a JSON object' },
      { line: 11, reason: 'no topicName: not a notification, a recorded frame or an EventBridge event' },
      { line: 12, reason: 'eventBody is not an object' },
    ]);
    for (const { reason } of stats.firstUnreadable) {
      assert.ok(!reason.includes(AGGREGATE_ADDRESS), 'a reason never quotes the line');
    }

    // Bare lines carry no receive time and no channel; an EventBridge event is timed by its own `time`.
    assert.deepEqual(
      seen.map((n) => [n.replayed?.line, n.topic.split('.').at(-1), n.receivedAt, n.channelId]),
      [
        [1, 'conversations', undefined, undefined],
        [2, 'calls', undefined, undefined],
        [7, 'presence', undefined, undefined],
        [9, 'conversations', Date.parse('2026-01-05T10:00:41Z'), undefined],
      ],
    );
    assert.equal(seen[1]!.correlationId, '7c3e1f52-8a4d-4b6e-9f10-2d3c4b5a6e7f');

    // The deriver reads both shapes: the bare aggregate line starts its conversation, the per-media line starts
    // another and has Ana join; events from bare lines are observed at the replay's clock.
    const derived = pipeline.stats();
    assert.equal(derived.conversationSnapshots, 2);
    assert.equal(derived.mediaSnapshots, 1);
    assert.deepEqual(derived.ignoredTopics, { 'v2.users.{id}.presence': 1 });
    assert.deepEqual(
      events.map((e) => [e.type, e.conversationId, e.observedAt, e.source]),
      [
        [
          'conversation.started',
          AGGREGATE_CONVERSATION,
          '2026-02-01T00:00:00.000Z',
          { kind: 'replay', file, line: 1 },
        ],
        [
          'conversation.started',
          MEDIA_CONVERSATION,
          '2026-02-01T00:00:00.000Z',
          { kind: 'replay', file, line: 2 },
        ],
        [
          'participant.joined',
          MEDIA_CONVERSATION,
          '2026-02-01T00:00:00.000Z',
          { kind: 'replay', file, line: 2 },
        ],
      ],
    );
    const joined = events[2] as ParticipantJoinedEvent;
    assert.equal(joined.participant.userId, MEDIA_USER);
    assert.equal(joined.occurredAt, '2026-01-05T10:00:34.902Z', "occurredAt is the platform's own time");
  });

  it('paces recorded frames around bare lines, which keep their place in the file and are never paced', async () => {
    const dir = await tempDir();
    const file = join(dir, 'mixed.jsonl');
    const recorded = (at: string, id: string) =>
      JSON.stringify({
        receivedAt: at,
        channelId: 'ch',
        frame: { topicName: 'v2.users.u1.conversations', eventBody: { id } },
      });
    await writeFile(
      file,
      // A byte-order mark before the first line (editors on Windows write one) is not part of it.
      `\uFEFF${[
        recorded('2026-01-05T10:00:00.000Z', 'first'),
        AGGREGATE_LINE,
        recorded('2026-01-05T10:00:00.200Z', 'third'),
      ].join('\n')}`,
    );
    const seen: Array<[string, number]> = [];
    const replay = new ReplaySource({ file, speed: 1 });
    replay.onNotification((n) => seen.push([n.eventBody.id as string, performance.now()]));
    await replay.start();
    const stats = await replay.finished();
    assert.deepEqual(
      seen.map(([id]) => id),
      ['first', AGGREGATE_CONVERSATION, 'third'],
    );
    assert.equal(stats.unreadable, 0);
    assert.equal(stats.bare, 1);
    const bareAfter = seen[1]![1] - seen[0]![1];
    const paced = seen[2]![1] - seen[0]![1];
    assert.ok(paced >= 180, `200 ms of recording between the recorded frames took ${paced} ms at speed 1`);
    assert.ok(bareAfter < paced, `the bare line came ${bareAfter} ms after the first frame, unpaced`);
  });

  it('counts a file of which nothing is readable, keeping the first five reasons', async () => {
    const dir = await tempDir();
    const file = join(dir, 'garbage.jsonl');
    await writeFile(
      file,
      [GARBAGE_LINE, TRUNCATED_LINE, '', GARBAGE_LINE, 'null', '{}', '{"topicName":1}', '42'].join('\n'),
    );
    const replay = new ReplaySource({ file });
    replay.onNotification(() => assert.fail('nothing is delivered'));
    await replay.start();
    const stats = await replay.finished();
    assert.equal(stats.lines, 8);
    assert.equal(stats.blank, 1);
    assert.equal(stats.unreadable, 7);
    assert.equal(stats.notifications + stats.control + stats.bare + stats.recorded + stats.eventBridge, 0);
    assert.deepEqual(stats.firstUnreadable, [
      { line: 1, reason: 'not JSON' },
      { line: 2, reason: 'truncated JSON' },
      { line: 4, reason: 'not JSON' },
      { line: 5, reason: 'not a JSON object' },
      { line: 6, reason: 'no topicName: not a notification, a recorded frame or an EventBridge event' },
    ]);
  });

  it('fails to start on a missing file', async () => {
    const dir = await tempDir();
    await assert.rejects(new ReplaySource({ file: join(dir, 'missing.jsonl') }).start(), /ENOENT/);
  });
});
