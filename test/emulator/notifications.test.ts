import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { api, createChannel, type ErrorBody, getToken, SocketProbe, sleep, subscribe } from './helpers.js';

const QUEUE = 'v2.routing.queues.2b4cfa0e-9d1e-4b9a-8f3c-5e6d7a8b9c01.conversations';
const USER = 'v2.users.7c9e6679-7425-40de-944b-e07fc1f90ae7.conversations';

interface TopicEntity {
  id: string;
  state?: string;
  rejectionReason?: string;
  missingPermissions?: string[];
}

describe('notification channels', () => {
  let emulator: Emulator;
  let token: string;
  before(async () => {
    emulator = await startEmulator({
      world: false,
      clients: [{ clientId: 'other', clientSecret: 'other-secret', permissions: ['*'] }],
    });
    token = await getToken(emulator);
  });
  after(() => emulator.stop());

  it('creates a channel with id, connectUri on the emulator host and a 24-hour expiry', async () => {
    const before = Date.now();
    const channel = await createChannel(emulator, token);
    assert.match(channel.id, /^[0-9a-f-]{36}$/);
    assert.equal(channel.connectUri, `ws://127.0.0.1:${emulator.port}/channels/${channel.id}`);
    const lifetime = Date.parse(channel.expires) - before;
    assert.ok(Math.abs(lifetime - 24 * 3600 * 1000) < 5000, `lifetime ${lifetime}`);
  });

  it('lists the caller token’s channels and answers HEAD 200 for a live channel, 404 otherwise', async () => {
    const own = await getToken(emulator, 'other', 'other-secret');
    const first = await createChannel(emulator, own);
    const second = await createChannel(emulator, own);
    const listed = await api(emulator, 'GET', '/api/v2/notifications/channels', { token: own });
    const ids = (listed.body as { entities: { id: string }[] }).entities.map((entity) => entity.id);
    assert.deepEqual(ids.sort(), [first.id, second.id].sort());

    const head = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${first.id}`, { token: own });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.ok(head.headers.get('inin-correlation-id'));
    const unknown = await api(emulator, 'HEAD', '/api/v2/notifications/channels/no-such-channel', {
      token: own,
    });
    assert.equal(unknown.status, 404);
    // Another client cannot see the channel.
    const foreign = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${first.id}`, { token });
    assert.equal(foreign.status, 404);
  });

  it('shows channels of other tokens of the same client only with includechannels=oauthclient, without ids', async () => {
    const a = await getToken(emulator, 'other', 'other-secret');
    const b = await getToken(emulator, 'other', 'other-secret');
    await createChannel(emulator, a);
    const perToken = await api(emulator, 'GET', '/api/v2/notifications/channels', { token: b });
    assert.deepEqual((perToken.body as { entities: unknown[] }).entities, []);
    const perClient = await api(
      emulator,
      'GET',
      '/api/v2/notifications/channels?includechannels=oauthclient',
      {
        token: b,
      },
    );
    const entities = (perClient.body as { entities: Record<string, unknown>[] }).entities;
    assert.ok(entities.length >= 1);
    for (const entity of entities) {
      assert.equal(entity.id, undefined);
      assert.equal(typeof entity.expires, 'string');
    }
  });

  it('uses the configured public host in connectUri', async () => {
    const other = await startEmulator({ world: false, publicHost: 'streaming.example.test:443' });
    try {
      const channel = await createChannel(other, await getToken(other));
      assert.equal(channel.connectUri, `ws://streaming.example.test:443/channels/${channel.id}`);
    } finally {
      await other.stop();
    }
    const secure = await startEmulator({ world: false, publicHost: 'wss://streaming.example.test/' });
    try {
      const channel = await createChannel(secure, await getToken(secure));
      assert.equal(channel.connectUri, `wss://streaming.example.test/channels/${channel.id}`);
    } finally {
      await secure.stop();
    }
  });

  it('evicts the least recently used idle channel when a 21st is created', async () => {
    const own = await startEmulator({ world: false });
    try {
      const ownToken = await getToken(own);
      const channels = [];
      for (let i = 0; i < 20; i++) channels.push(await createChannel(own, ownToken));
      // The first channel is connected and then the least recently used (every other one is used after it),
      // yet idle channels go first: the second channel must be the one evicted.
      const probe = await SocketProbe.open(channels[0]!.connectUri);
      await sleep(5);
      for (const channel of channels.slice(1)) {
        await api(own, 'GET', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
          token: ownToken,
        });
      }
      const twentyFirst = await createChannel(own, ownToken);
      const head = (id: string) =>
        api(own, 'HEAD', `/api/v2/notifications/channels/${id}`, { token: ownToken });
      assert.equal((await head(channels[1]!.id)).status, 404);
      assert.equal((await head(channels[0]!.id)).status, 200);
      assert.equal((await head(twentyFirst.id)).status, 200);
      const listed = await api(own, 'GET', '/api/v2/notifications/channels', { token: ownToken });
      assert.equal((listed.body as { entities: unknown[] }).entities.length, 20);

      // With every channel connected, the least recently used connected channel goes and its socket closes.
      const probes = [probe];
      for (const channel of [...channels.slice(2), twentyFirst])
        probes.push(await SocketProbe.open(channel.connectUri));
      await createChannel(own, ownToken);
      const closed = await probe.closedWithin(2000);
      assert.equal(closed.code, 1000);
      assert.equal((await head(channels[0]!.id)).status, 404);
      assert.equal(own.hub.peakConnected('switchboard-demo'), 20);
      for (const p of probes) p.close();
    } finally {
      await own.stop();
    }
  });
});

describe('notification subscriptions', () => {
  let emulator: Emulator;
  let token: string;
  let channelId: string;
  const path = () => `/api/v2/notifications/channels/${channelId}/subscriptions`;
  before(async () => {
    emulator = await startEmulator({
      world: false,
      clients: [
        { clientId: 'queues-only', clientSecret: 'q-secret', permissions: ['routing:queue:view'] },
        { clientId: 'routing-admin', clientSecret: 'r-secret', permissions: ['routing:*:*'] },
      ],
    });
    token = await getToken(emulator);
    channelId = (await createChannel(emulator, token)).id;
  });
  after(() => emulator.stop());

  it('adds with POST, replaces with PUT, lists with GET and removes all with DELETE', async () => {
    const posted = await subscribe(emulator, token, channelId, [QUEUE]);
    assert.equal(posted.status, 200);
    assert.deepEqual(posted.body, { entities: [{ id: QUEUE }] });
    await subscribe(emulator, token, channelId, [USER, QUEUE.toUpperCase()]);
    let listed = await api(emulator, 'GET', path(), { token });
    assert.deepEqual(listed.body, { entities: [{ id: QUEUE }, { id: USER }] });

    const replacement = 'v2.routing.queues.aaaaaaaa-0000-4000-8000-000000000001.conversations.messages';
    const put = await api(emulator, 'PUT', path(), { token, body: [{ id: replacement }] });
    assert.equal(put.status, 200);
    listed = await api(emulator, 'GET', path(), { token });
    assert.deepEqual(listed.body, { entities: [{ id: replacement }] });

    const deleted = await api(emulator, 'DELETE', path(), { token });
    assert.equal(deleted.status, 204);
    listed = await api(emulator, 'GET', path(), { token });
    assert.deepEqual(listed.body, { entities: [] });
  });

  it('expands the combined topic form', async () => {
    const response = await api(emulator, 'PUT', path(), {
      token,
      body: [{ id: 'v2.users.7c9e6679-7425-40de-944b-e07fc1f90ae7?presence&routingStatus' }],
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      entities: [
        { id: 'v2.users.7c9e6679-7425-40de-944b-e07fc1f90ae7.presence' },
        { id: 'v2.users.7c9e6679-7425-40de-944b-e07fc1f90ae7.routingStatus' },
      ],
    });
  });

  it('refuses channel.metadata, v2.system.* and unknown topics with 400, changing nothing', async () => {
    await api(emulator, 'PUT', path(), { token, body: [{ id: QUEUE }] });
    for (const topic of [
      'channel.metadata',
      'v2.system.socket_closing',
      'v2.conversations.webchat.everything',
    ]) {
      const response = await subscribe(emulator, token, channelId, [USER, topic]);
      assert.equal(response.status, 400, topic);
      assert.equal((response.body as ErrorBody).code, 'bad.request');
      assert.match((response.body as ErrorBody).message, new RegExp(topic.replace(/\./g, '\\.')));
    }
    const listed = await api(emulator, 'GET', path(), { token });
    assert.deepEqual(listed.body, { entities: [{ id: QUEUE }] });
  });

  it('refuses a topic name longer than 200 characters and accepts one of exactly 200', async () => {
    const prefix = 'v2.routing.queues.';
    const suffix = '.conversations';
    const exact = `${prefix}${'a'.repeat(200 - prefix.length - suffix.length)}${suffix}`;
    assert.equal(exact.length, 200);
    assert.equal((await subscribe(emulator, token, channelId, [exact])).status, 200);
    const tooLong = `${prefix}${'a'.repeat(201 - prefix.length - suffix.length)}${suffix}`;
    const response = await subscribe(emulator, token, channelId, [tooLong]);
    assert.equal(response.status, 400);
    assert.match((response.body as ErrorBody).message, /200 characters/);
  });

  it('refuses more than 1,000 topics per channel with 400 and accepts exactly 1,000', async () => {
    const topics = Array.from({ length: 1001 }, (_, i) => `v2.routing.queues.q${i}.conversations`);
    const tooMany = await api(emulator, 'PUT', path(), { token, body: topics.map((id) => ({ id })) });
    assert.equal(tooMany.status, 400);
    assert.equal((tooMany.body as ErrorBody).code, 'bad.request');
    assert.match((tooMany.body as ErrorBody).message, /1000/);
    const full = await api(emulator, 'PUT', path(), {
      token,
      body: topics.slice(0, 1000).map((id) => ({ id })),
    });
    assert.equal(full.status, 200);
    assert.equal((full.body as { entities: unknown[] }).entities.length, 1000);
    // POST adds to the 1,000 already there: one more is too many.
    const oneMore = await subscribe(emulator, token, channelId, [USER]);
    assert.equal(oneMore.status, 400);
    // Re-adding a topic already there does not count twice.
    assert.equal((await subscribe(emulator, token, channelId, [topics[0]!])).status, 200);
    await api(emulator, 'DELETE', path(), { token });
  });

  it('refuses malformed bodies with 400', async () => {
    for (const body of [{ id: QUEUE }, [QUEUE], [{ topic: QUEUE }]]) {
      const response = await api(emulator, 'POST', path(), { token, body });
      assert.equal(response.status, 400);
    }
  });

  it('checks permissions per topic family: 403 naming the missing permission', async () => {
    const restricted = await getToken(emulator, 'queues-only', 'q-secret');
    const channel = await createChannel(emulator, restricted);
    const topicsPath = `/api/v2/notifications/channels/${channel.id}/subscriptions`;
    assert.equal((await subscribe(emulator, restricted, channel.id, [QUEUE])).status, 200);
    const denied = await subscribe(emulator, restricted, channel.id, [QUEUE, USER]);
    assert.equal(denied.status, 403);
    const body = denied.body as ErrorBody;
    assert.equal(body.code, 'missing.permissions');
    assert.match(body.message, /conversation:communication:view/);
    assert.equal(body.messageParams.permissions, 'conversation:communication:view');
    const listed = await api(emulator, 'GET', topicsPath, { token: restricted });
    assert.deepEqual(listed.body, { entities: [{ id: QUEUE }] });
    const detail = await subscribe(emulator, restricted, channel.id, [
      'v2.detail.events.conversation.c0ffee00-0000-4000-8000-000000000001.acd.end',
    ]);
    assert.equal(detail.status, 403);

    // Wildcard grants cover the permissions they name.
    const admin = await getToken(emulator, 'routing-admin', 'r-secret');
    const adminChannel = await createChannel(emulator, admin);
    assert.equal((await subscribe(emulator, admin, adminChannel.id, [QUEUE])).status, 200);
    assert.equal((await subscribe(emulator, admin, adminChannel.id, [USER])).status, 403);
  });

  it('reports each topic with ignoreErrors=true and applies the permitted ones', async () => {
    const restricted = await getToken(emulator, 'queues-only', 'q-secret');
    const channel = await createChannel(emulator, restricted);
    const response = await api(
      emulator,
      'POST',
      `/api/v2/notifications/channels/${channel.id}/subscriptions?ignoreErrors=true`,
      { token: restricted, body: [{ id: QUEUE }, { id: USER }, { id: 'channel.metadata' }] },
    );
    assert.equal(response.status, 200);
    const entities = (response.body as { entities: TopicEntity[] }).entities;
    assert.deepEqual(
      entities.find((entity) => entity.id === QUEUE),
      { id: QUEUE, state: 'Permitted' },
    );
    const user = entities.find((entity) => entity.id === USER)!;
    assert.equal(user.state, 'Rejected');
    assert.equal(typeof user.rejectionReason, 'string');
    assert.deepEqual(user.missingPermissions, ['conversation:communication:view']);
    const metadata = entities.find((entity) => entity.id === 'channel.metadata')!;
    assert.equal(metadata.state, 'Rejected');
    assert.deepEqual(metadata.missingPermissions, []);
    const listed = await api(emulator, 'GET', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
      token: restricted,
    });
    assert.deepEqual(listed.body, { entities: [{ id: QUEUE }] });
  });

  it('answers 404 for subscriptions of an unknown or foreign channel', async () => {
    const response = await subscribe(emulator, token, 'no-such-channel', [QUEUE]);
    assert.equal(response.status, 404);
    assert.equal((response.body as ErrorBody).code, 'not.found');
    const restricted = await getToken(emulator, 'queues-only', 'q-secret');
    assert.equal((await api(emulator, 'GET', path(), { token: restricted })).status, 404);
  });

  it('lists the available topics', async () => {
    const response = await api(
      emulator,
      'GET',
      '/api/v2/notifications/availabletopics?expand=requiresPermissions',
      {
        token,
      },
    );
    assert.equal(response.status, 200);
    const entities = (response.body as { entities: { id: string; requiresPermissions: string[] }[] })
      .entities;
    const queue = entities.find((entity) => entity.id === 'v2.routing.queues.{id}.conversations');
    assert.deepEqual(queue?.requiresPermissions, ['routing:queue:view']);
    assert.ok(entities.some((entity) => entity.id === 'v2.users.{id}.conversations.calls'));
    assert.ok(entities.some((entity) => entity.id === 'v2.detail.events.conversation.{id}.wrapup'));
  });
});
