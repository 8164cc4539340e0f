import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ManualClock } from '../../src/emulator/world/clock.js';
import { ConfigError } from '../../src/errors.js';
import { parseSelectorValue, TopicDiscovery, TopicSelector } from '../../src/stream/topic-selector.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakePlatform } from './helpers/fake-platform.js';
import { HttpPort } from './helpers/http-port.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function platform(queues: number, users: number): Promise<FakePlatform> {
  const p = await FakePlatform.start();
  cleanups.push(() => p.stop());
  p.queues = Array.from({ length: queues }, (_, i) => ({ id: uuid(i), name: `Queue ${i}` }));
  p.users = Array.from({ length: users }, (_, i) => ({ id: uuid(1000 + i), name: `User ${i}` }));
  return p;
}

describe('parseSelectorValue', () => {
  it('reads all, lists and nothing', () => {
    assert.equal(parseSelectorValue('all'), 'all');
    assert.equal(parseSelectorValue(' ALL '), 'all');
    assert.deepEqual(parseSelectorValue('a, b ,,c'), ['a', 'b', 'c']);
    assert.equal(parseSelectorValue(''), undefined);
    assert.equal(parseSelectorValue(undefined), undefined);
    assert.equal(parseSelectorValue(' , '), undefined);
  });
});

describe('TopicSelector', () => {
  it('turns --queues all into one topic per queue, across every page', async () => {
    const p = await platform(35, 0);
    const resolved = await new TopicSelector({ queues: 'all' }, new HttpPort(p.url)).resolve();
    assert.equal(resolved.topics.length, 35);
    assert.ok(
      resolved.topics.includes(queueTopic(uuid(34))),
      'resolved.topics.includes(queueTopic(uuid(34)))',
    );
    assert.equal(p.callsTo(/routing\/queues$/).length, 4, '35 queues at 10 a page');
  });

  it('accepts queue ids and names (any case), and reports names that match nothing', async () => {
    const p = await platform(5, 0);
    const resolved = await new TopicSelector(
      { queues: [uuid(0).toUpperCase(), 'queue 3', 'No Such Queue'] },
      new HttpPort(p.url),
    ).resolve();
    assert.deepEqual(resolved.topics.sort(), [queueTopic(uuid(0)), queueTopic(uuid(3))].sort());
    assert.deepEqual(resolved.unresolved, ['No Such Queue']);
  });

  it('does not list queues when only ids are given', async () => {
    const p = await platform(5, 0);
    await new TopicSelector({ queues: [uuid(1)] }, new HttpPort(p.url)).resolve();
    assert.equal(p.callsTo(/routing\/queues$/).length, 0);
  });

  it('selects users (all or ids) and passes raw topics through', async () => {
    const p = await platform(0, 12);
    const resolved = await new TopicSelector(
      { users: 'all', topics: ['v2.Analytics.Queues.X.Observations'] },
      new HttpPort(p.url),
    ).resolve();
    assert.equal(resolved.topics.length, 13);
    assert.ok(
      resolved.topics.includes(userTopic(uuid(1011))),
      'resolved.topics.includes(userTopic(uuid(1011)))',
    );
    assert.ok(
      resolved.topics.includes('v2.analytics.queues.x.observations'),
      "resolved.topics.includes('v2.analytics.queues.x.observations')",
    );
    const some = await new TopicSelector({ users: ['U-1', 'u-2'] }, new HttpPort(p.url)).resolve();
    assert.deepEqual(some.topics, [userTopic('u-1'), userTopic('u-2')]);
  });
});

describe('TopicDiscovery', () => {
  it('subscribes a queue created later and drops a deleted one, without a restart', async () => {
    const p = await platform(3, 0);
    const sets: string[][] = [];
    const discovery = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, new HttpPort(p.url)),
      onTopics: (topics) => {
        sets.push([...topics].sort());
      },
      intervalMs: 30,
    });
    cleanups.push(() => discovery.stop());
    await discovery.start();
    assert.equal(sets.length, 1);
    p.queues.push({ id: uuid(99), name: 'Tomorrow' });
    await waitFor(() => sets.length === 2, 'the new queue');
    assert.ok(sets[1]!.includes(queueTopic(uuid(99))), 'sets[1]!.includes(queueTopic(uuid(99)))');
    p.queues = p.queues.filter((q) => q.id !== uuid(0));
    await waitFor(() => sets.length === 3, 'the removal');
    assert.ok(!sets[2]!.includes(queueTopic(uuid(0))), '!sets[2]!.includes(queueTopic(uuid(0)))');
    assert.equal(sets[2]!.length, 3);
  });

  it('keeps the current topics when a re-discovery fails', async () => {
    const p = await platform(2, 0);
    const errors: unknown[] = [];
    let calls = 0;
    const discovery = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, new HttpPort(p.url)),
      onTopics: () => {
        calls++;
      },
      onError: (e) => errors.push(e),
      intervalMs: 0,
    });
    await discovery.start();
    p.overrides.push(() => ({ status: 503, body: { code: 'service.unavailable' } }));
    assert.equal(await discovery.refresh(), false);
    assert.equal(errors.length, 1);
    assert.equal(calls, 1);
  });

  it('records a new topic set only once it is applied, and offers a failed one again before the next re-discovery', async () => {
    const p = await platform(2, 0);
    const clock = new ManualClock(Date.now());
    const offered: string[][] = [];
    const errors: unknown[] = [];
    let failNext = false;
    const discovery = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, new HttpPort(p.url)),
      onTopics: (topics) => {
        offered.push([...topics].sort());
        if (failNext) {
          failNext = false;
          throw new Error('subscribing failed');
        }
      },
      onError: (e) => errors.push(e),
      intervalMs: 60_000,
      retryMs: 1000,
      timers: clock,
    });
    cleanups.push(() => discovery.stop());
    await discovery.start();

    p.queues.push({ id: uuid(99), name: 'Opened today' });
    failNext = true;
    clock.advance(60_000);
    await waitFor(() => errors.length === 1, 'the change to fail');
    assert.equal(offered.length, 2);

    // Long before the next re-discovery is due, the change is offered again.
    clock.advance(1000);
    await waitFor(() => offered.length === 3, 'the failed change to be offered again');
    assert.ok(offered[2]!.includes(queueTopic(uuid(99))), 'the new queue is in the set offered again');
    await discovery.refresh();
    assert.equal(offered.length, 3, 'an applied set is not offered twice');
  });

  it('refuses to start on unknown queue names or an empty selection', async () => {
    const p = await platform(2, 0);
    const port = new HttpPort(p.url);
    const unknown = new TopicDiscovery({
      selector: new TopicSelector({ queues: ['Sales'] }, port),
      onTopics: () => {},
    });
    await assert.rejects(
      unknown.start(),
      (e: unknown) => e instanceof ConfigError && /"Sales"/.test(e.message),
    );
    p.queues = [];
    const empty = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, port),
      onTopics: () => {},
    });
    await assert.rejects(empty.start(), ConfigError);
  });
});
