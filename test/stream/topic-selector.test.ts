import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { ManualClock } from '../../src/emulator/world/clock.js';
import type { OrgQueue } from '../../src/emulator/world/org.js';
import { ConfigError } from '../../src/errors.js';
import { createPlatformClient } from '../../src/platform/platform-client.js';
import { createNotificationsPort } from '../../src/stream/platform-port.js';
import type { NotificationsPort } from '../../src/stream/port.js';
import { parseSelectorValue, TopicDiscovery, TopicSelector } from '../../src/stream/topic-selector.js';
import { queueTopic, userTopic } from '../../src/stream/topics.js';
import { waitFor } from '../helpers/wait-for.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** The emulator with an org of `queues` queues and `users` users (at least one of each), and a port onto it. */
async function platform(
  queues: number,
  users: number,
): Promise<{ emulator: Emulator; port: NotificationsPort; queues: OrgQueue[]; listings: () => number }> {
  const emulator = await startEmulator({
    queues: Math.max(1, queues),
    agents: Math.max(1, queues, users),
    historyDays: 0,
    conversationsPerMinute: 0,
  });
  const client = createPlatformClient({
    region: emulator.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
  });
  cleanups.push(async () => {
    await client.close();
    await emulator.stop();
  });
  return {
    emulator,
    // Ten a page, so a few dozen queues take several pages.
    port: createNotificationsPort(client, { pageSize: 10 }),
    queues: emulator.world!.org.queues,
    listings: () => emulator.requests.list('GET', '/api/v2/routing/queues').length,
  };
}

/** A queue the org opens while the stream runs. */
function openQueue(queues: OrgQueue[], name: string): OrgQueue {
  const queue = { ...queues[0]!, id: randomUUID(), name };
  queues.push(queue);
  return queue;
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
    const resolved = await new TopicSelector({ queues: 'all' }, p.port).resolve();
    assert.equal(resolved.topics.length, 35);
    for (const queue of p.queues) assert.ok(resolved.topics.includes(queueTopic(queue.id)), queue.name);
    assert.equal(p.listings(), 4, '35 queues at 10 a page');
  });

  it('accepts queue ids and names (any case), and reports names that match nothing', async () => {
    const p = await platform(5, 0);
    const [first, , , fourth] = p.queues;
    const resolved = await new TopicSelector(
      { queues: [first!.id.toUpperCase(), fourth!.name.toLowerCase(), 'No Such Queue'] },
      p.port,
    ).resolve();
    assert.deepEqual(resolved.topics.sort(), [queueTopic(first!.id), queueTopic(fourth!.id)].sort());
    assert.deepEqual(resolved.unresolved, ['No Such Queue']);
  });

  it('does not list queues when only ids are given', async () => {
    const p = await platform(5, 0);
    await new TopicSelector({ queues: [p.queues[1]!.id] }, p.port).resolve();
    assert.equal(p.listings(), 0);
  });

  it('selects users (all or ids) and passes raw topics through', async () => {
    const p = await platform(0, 12);
    const resolved = await new TopicSelector(
      { users: 'all', topics: ['v2.Analytics.Queues.X.Observations'] },
      p.port,
    ).resolve();
    const { users } = p.emulator.world!.org;
    assert.equal(users.length, 12);
    assert.equal(resolved.topics.length, 13);
    for (const user of users) assert.ok(resolved.topics.includes(userTopic(user.id)), user.name);
    assert.ok(
      resolved.topics.includes('v2.analytics.queues.x.observations'),
      "resolved.topics.includes('v2.analytics.queues.x.observations')",
    );
    const some = await new TopicSelector({ users: ['U-1', 'u-2'] }, p.port).resolve();
    assert.deepEqual(some.topics, [userTopic('u-1'), userTopic('u-2')]);
  });
});

describe('TopicDiscovery', () => {
  it('subscribes a queue created later and drops a deleted one, without a restart', async () => {
    const p = await platform(3, 0);
    const sets: string[][] = [];
    const discovery = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, p.port),
      onTopics: (topics) => {
        sets.push([...topics].sort());
      },
      intervalMs: 30,
    });
    cleanups.push(() => discovery.stop());
    await discovery.start();
    assert.equal(sets.length, 1);
    const tomorrow = openQueue(p.queues, 'Tomorrow');
    await waitFor(() => sets.length === 2, 'the new queue');
    assert.ok(sets[1]!.includes(queueTopic(tomorrow.id)), 'sets[1]!.includes(queueTopic(tomorrow.id))');
    const [deleted] = p.queues.splice(0, 1);
    await waitFor(() => sets.length === 3, 'the removal');
    assert.ok(!sets[2]!.includes(queueTopic(deleted!.id)), '!sets[2]!.includes(queueTopic(deleted.id))');
    assert.equal(sets[2]!.length, 3);
  });

  it('keeps the current topics when a re-discovery fails', async () => {
    const p = await platform(2, 0);
    const errors: unknown[] = [];
    let calls = 0;
    const discovery = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, p.port),
      onTopics: () => {
        calls++;
      },
      onError: (e) => errors.push(e),
      intervalMs: 0,
    });
    await discovery.start();
    p.emulator.faults.failRequests({ path: '/api/v2', status: 503, count: 100 });
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
      selector: new TopicSelector({ queues: 'all' }, p.port),
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

    const opened = openQueue(p.queues, 'Opened today');
    failNext = true;
    clock.advance(60_000);
    await waitFor(() => errors.length === 1, 'the change to fail');
    assert.equal(offered.length, 2);

    // Long before the next re-discovery is due, the change is offered again.
    clock.advance(1000);
    await waitFor(() => offered.length === 3, 'the failed change to be offered again');
    assert.ok(offered[2]!.includes(queueTopic(opened.id)), 'the new queue is in the set offered again');
    await discovery.refresh();
    assert.equal(offered.length, 3, 'an applied set is not offered twice');
  });

  it('refuses to start on unknown queue names or an empty selection', async () => {
    const p = await platform(2, 0);
    const { port } = p;
    const unknown = new TopicDiscovery({
      selector: new TopicSelector({ queues: ['No Such Queue'] }, port),
      onTopics: () => {},
    });
    await assert.rejects(
      unknown.start(),
      (e: unknown) => e instanceof ConfigError && /"No Such Queue"/.test(e.message),
    );
    p.queues.splice(0);
    const empty = new TopicDiscovery({
      selector: new TopicSelector({ queues: 'all' }, port),
      onTopics: () => {},
    });
    await assert.rejects(empty.start(), ConfigError);
  });
});
