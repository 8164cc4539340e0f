import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Notification } from '../../src/stream/frames.js';
import { FrameRecorder } from '../../src/stream/recording.js';
import { ReplaySource } from '../../src/stream/replay-source.js';
import { queueTopic } from '../../src/stream/topics.js';
import { WebSocketSource } from '../../src/stream/websocket-source.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';
import { waitFor } from './helpers/wait.js';

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
      timing: { heartbeatIntervalMs: 40, backoff: { initialMs: 10, maxMs: 40 } },
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
    assert.equal(stats.malformed, 1);
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
    assert.equal(malformed[0]![1], 'not JSON');
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
    assert.deepEqual(reasons, ['line is not JSON', 'receivedAt is not an ISO time', 'channelId is missing']);
    assert.deepEqual(
      seen.map(([id]) => id),
      ['one', 'two'],
    );
    const paced = seen[1]![1] - seen[0]![1];
    assert.ok(paced >= 180, `replayed 200 ms of recording in ${paced} ms at speed 1`);
    assert.equal(stats.notifications, 2);
    assert.equal(stats.malformed, 3);
  });

  it('fails to start on a missing file', async () => {
    const dir = await tempDir();
    await assert.rejects(new ReplaySource({ file: join(dir, 'missing.jsonl') }).start(), /ENOENT/);
  });
});
