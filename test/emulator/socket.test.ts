import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { api, createChannel, type Frame, getToken, SocketProbe, sleep, subscribe } from './helpers.js';

const QUEUE_A = 'v2.routing.queues.aaaaaaaa-0000-4000-8000-00000000000a.conversations';
const QUEUE_B = 'v2.routing.queues.bbbbbbbb-0000-4000-8000-00000000000b.conversations';
const isHeartbeat = (frame: Frame) =>
  frame.topicName === 'channel.metadata' && frame.eventBody.message === 'WebSocket Heartbeat';
const isPong = (frame: Frame) => frame.topicName === 'channel.metadata' && frame.eventBody.message === 'pong';

describe('notification WebSocket', () => {
  let emulator: Emulator;
  let token: string;
  const probes: SocketProbe[] = [];
  const open = async (uri: string) => {
    const probe = await SocketProbe.open(uri);
    probes.push(probe);
    return probe;
  };
  before(async () => {
    emulator = await startEmulator({
      world: false,
      heartbeatIntervalMs: 100,
      clients: [{ clientId: 'other', clientSecret: 'other-secret', permissions: ['*'] }],
    });
    token = await getToken(emulator);
  });
  afterEach(() => {
    for (const probe of probes.splice(0)) probe.close();
  });
  after(() => emulator.stop());

  it('sends heartbeats and answers a ping with a pong', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    const heartbeat = await probe.next(isHeartbeat, 1000);
    assert.deepEqual(heartbeat, {
      topicName: 'channel.metadata',
      eventBody: { message: 'WebSocket Heartbeat' },
    });
    probe.send({ message: 'ping' });
    const pong = await probe.next(isPong, 1000);
    assert.deepEqual(pong, { topicName: 'channel.metadata', eventBody: { message: 'pong' } });
  });

  it('ignores malformed and unsupported client frames and keeps the socket open', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    probe.send('not json at all');
    probe.send({ message: 'subscribe', topics: [QUEUE_A] });
    probe.send({ message: 'ping' });
    await probe.next(isPong, 1000);
    assert.equal(probe.closed, undefined);
    const topics = await api(emulator, 'GET', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
      token,
    });
    assert.deepEqual(topics.body, { entities: [] });
  });

  it('refuses the upgrade with 404 for an unknown channel', async () => {
    await assert.rejects(
      SocketProbe.open(`ws://127.0.0.1:${emulator.port}/channels/00000000-0000-4000-8000-000000000000`),
      /404/,
    );
    await assert.rejects(SocketProbe.open(`ws://127.0.0.1:${emulator.port}/somewhere-else`), /404/);
  });

  it('disconnects the first socket when a second connects to the same channel', async () => {
    const channel = await createChannel(emulator, token);
    const first = await open(channel.connectUri);
    const second = await open(channel.connectUri);
    const closed = await first.closedWithin(1000);
    assert.equal(closed.code, 1000);
    assert.equal(second.closed, undefined);
    await second.next(isHeartbeat, 1000);
    assert.equal(emulator.status().connectedSockets >= 1, true);
  });

  it('publishes the real envelope to exactly the subscribed channels, topic matched case-insensitively', async () => {
    const one = await createChannel(emulator, token);
    const two = await createChannel(emulator, token);
    const none = await createChannel(emulator, token);
    await subscribe(emulator, token, one.id, [QUEUE_A]);
    await subscribe(emulator, token, two.id, [QUEUE_A.toUpperCase(), QUEUE_B]);
    const [p1, p2, p3] = await Promise.all([
      open(one.connectUri),
      open(two.connectUri),
      open(none.connectUri),
    ]);
    const body = {
      id: 'c0ffee00-0000-4000-8000-000000000001',
      participants: [{ id: 'p1', purpose: 'customer' }],
    };
    emulator.hub.publish(QUEUE_A, body);
    emulator.hub.publish(QUEUE_B, { id: 'second' });
    emulator.hub.publish('v2.routing.queues.unrelated.conversations', { id: 'nobody' });

    const isEvent = (frame: Frame) => frame.topicName !== 'channel.metadata';
    const got1 = await p1.next(isEvent);
    assert.deepEqual(Object.keys(got1), ['topicName', 'version', 'eventBody', 'metadata']);
    assert.equal(got1.topicName, QUEUE_A);
    assert.equal(got1.version, '2');
    assert.deepEqual(got1.eventBody, body);
    assert.match(got1.metadata!.CorrelationId, /^[0-9a-f-]{36}$/);
    await p2.next((frame) => isEvent(frame) && frame.eventBody.id === 'second');
    const events2 = p2.frames.filter(isEvent);
    assert.deepEqual(
      events2.map((frame) => frame.eventBody.id),
      [body.id, 'second'],
    );
    await sleep(50);
    assert.deepEqual(p1.frames.filter(isEvent).length, 1);
    assert.deepEqual(p3.frames.filter(isEvent), []);
  });

  it('drop-sockets cuts sockets without a close frame and the channel stays valid', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'drop-sockets', channelId: channel.id },
    });
    assert.deepEqual(applied.body, { type: 'drop-sockets', affected: 1 });
    const closed = await probe.closedWithin(1000);
    assert.equal(closed.code, 1006);
    const head = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token });
    assert.equal(head.status, 200);
    const again = await open(channel.connectUri);
    await again.next(isHeartbeat, 1000);
  });

  it('stop-heartbeats silences heartbeats, pongs and events for a while, then they resume', async () => {
    const channel = await createChannel(emulator, token);
    await subscribe(emulator, token, channel.id, [QUEUE_A]);
    const probe = await open(channel.connectUri);
    await probe.next(isHeartbeat, 1000);
    await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'stop-heartbeats', seconds: 0.5, channelId: channel.id },
    });
    const silentFrom = probe.frames.length;
    probe.send({ message: 'ping' });
    emulator.hub.publish(QUEUE_A, { id: 'lost' });
    await sleep(350);
    assert.deepEqual(probe.frames.slice(silentFrom), []);
    assert.equal(probe.closed, undefined);
    await sleep(300);
    const resumed = probe.frames.length;
    await probe.next((frame) => isHeartbeat(frame) && probe.frames.indexOf(frame) >= resumed, 1000);
    probe.send({ message: 'ping' });
    await probe.next(isPong, 1000);
    assert.equal(
      probe.frames.some((frame) => frame.eventBody.id === 'lost'),
      false,
    );
  });

  it('socket-closing sends v2.system.socket_closing, then closes after the delay', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    const started = Date.now();
    emulator.faults.socketClosing(200, { channelId: channel.id });
    const notice = await probe.next((frame) => frame.topicName === 'v2.system.socket_closing', 1000);
    assert.equal(notice.version, '2');
    assert.equal(notice.eventBody.channelId, channel.id);
    assert.equal(notice.eventBody.organizationId, emulator.settings.organizationId);
    // The SystemMessage model has no systemTopicType or reason for a socket closing: those keys are left out.
    assert.deepEqual(Object.keys(notice.eventBody).sort(), [
      'channelId',
      'correlationId',
      'message',
      'organizationId',
    ]);
    assert.equal(probe.closed, undefined);
    const closed = await probe.closedWithin(1000);
    assert.ok(Date.now() - started >= 190, 'closed before the delay');
    assert.equal(closed.code, 1001);
    // The channel itself is still valid: a new socket may connect.
    const head = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token });
    assert.equal(head.status, 200);
  });

  it('blackout cuts every socket and refuses REST and WebSocket until it ends; the channel stays valid', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'blackout', seconds: 0.6 },
    });
    assert.deepEqual(applied.body, { type: 'blackout', affected: 1 });
    const closed = await probe.closedWithin(1000);
    assert.equal(closed.code, 1006, 'cut without a close frame');
    await assert.rejects(api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token }));
    await assert.rejects(SocketProbe.open(channel.connectUri));
    // The oracles stay reachable.
    assert.equal((await api(emulator, 'GET', '/__emulator/status')).status, 200);
    await sleep(700);
    const head = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token });
    assert.equal(head.status, 200);
    const again = await open(channel.connectUri);
    again.send({ message: 'ping' });
    await again.next(isPong, 1000);
  });

  it('expire-channels ends a channel: socket closed, HEAD 404, upgrade refused', async () => {
    const channel = await createChannel(emulator, token);
    const probe = await open(channel.connectUri);
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'expire-channels', channelId: channel.id },
    });
    assert.deepEqual(applied.body, { type: 'expire-channels', affected: 1 });
    await probe.closedWithin(1000);
    const head = await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token });
    assert.equal(head.status, 404);
    await assert.rejects(SocketProbe.open(channel.connectUri), /404/);
  });

  it('revoke-tokens sends v2.system.token_revoked.<id>, closes the channels of that client only', async () => {
    const otherToken = await getToken(emulator, 'other', 'other-secret');
    const revoked = await createChannel(emulator, otherToken);
    const kept = await createChannel(emulator, token);
    const revokedProbe = await open(revoked.connectUri);
    const keptProbe = await open(kept.connectUri);
    const applied = await api(emulator, 'POST', '/__emulator/faults', {
      body: { type: 'revoke-tokens', clientId: 'other' },
    });
    assert.deepEqual(applied.body, { type: 'revoke-tokens', affected: 1 });
    const notice = await revokedProbe.next(
      (frame) => frame.topicName.startsWith('v2.system.token_revoked'),
      1000,
    );
    assert.equal(notice.topicName, `v2.system.token_revoked.${revoked.id}`);
    assert.equal(notice.eventBody.channelId, revoked.id);
    assert.equal(notice.eventBody.systemTopicType, 'token_revoked');
    await revokedProbe.closedWithin(1000);
    assert.equal(
      (await api(emulator, 'GET', '/api/v2/notifications/channels', { token: otherToken })).status,
      401,
    );
    await keptProbe.next(isHeartbeat, 1000);
    assert.equal(keptProbe.closed, undefined);
    assert.equal(
      (await api(emulator, 'HEAD', `/api/v2/notifications/channels/${kept.id}`, { token })).status,
      200,
    );
  });

  it('no-longer-subscribed removes topics and tells the socket', async () => {
    const channel = await createChannel(emulator, token);
    await subscribe(emulator, token, channel.id, [QUEUE_A, QUEUE_B]);
    const probe = await open(channel.connectUri);
    emulator.faults.noLongerSubscribed({ channelId: channel.id }, [QUEUE_B]);
    const notice = await probe.next(
      (frame) => frame.topicName === `v2.system.no_longer_subscribed.${channel.id}`,
    );
    assert.equal(notice.eventBody.systemTopicType, 'no_longer_subscribed');
    const topics = await api(emulator, 'GET', `/api/v2/notifications/channels/${channel.id}/subscriptions`, {
      token,
    });
    assert.deepEqual(topics.body, { entities: [{ id: QUEUE_A }] });
  });

  it('reports channels, sockets, subscriptions and per-client peaks on /__emulator/status', async () => {
    const client = await startEmulator({ world: false, heartbeatIntervalMs: 1000 });
    try {
      const own = await getToken(client);
      const a = await createChannel(client, own);
      const b = await createChannel(client, own);
      await subscribe(client, own, a.id, [QUEUE_A, QUEUE_B]);
      const pa = await SocketProbe.open(a.connectUri);
      const pb = await SocketProbe.open(b.connectUri);
      pb.close();
      await sleep(50);
      const status = (await api(client, 'GET', '/__emulator/status')).body as ReturnType<Emulator['status']>;
      assert.equal(status.channels, 2);
      assert.equal(status.connectedSockets, 1);
      assert.equal(status.subscriptions, 2);
      assert.deepEqual(status.clients['switchboard-demo'], { channels: 2, connected: 1, peakConnected: 2 });
      assert.equal(status.tokens.active, 1);
      pa.close();
    } finally {
      await client.stop();
    }
  });
});

describe('channel lifetime', () => {
  it('expires a channel after channelLifetimeMs: socket closed, HEAD 404', async () => {
    const emulator = await startEmulator({ world: false, channelLifetimeMs: 300 });
    try {
      const token = await getToken(emulator);
      const channel = await createChannel(emulator, token);
      const probe = await SocketProbe.open(channel.connectUri);
      assert.equal(
        (await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token })).status,
        200,
      );
      await probe.closedWithin(1500);
      assert.equal(
        (await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token })).status,
        404,
      );
    } finally {
      await emulator.stop();
    }
  });

  it('ends a channel with the token that created it', async () => {
    const emulator = await startEmulator({ world: false, tokenLifetimeSeconds: 1 });
    try {
      const token = await getToken(emulator);
      const channel = await createChannel(emulator, token);
      const probe = await SocketProbe.open(channel.connectUri);
      await probe.closedWithin(2000);
      const fresh = await getToken(emulator);
      assert.equal(
        (await api(emulator, 'HEAD', `/api/v2/notifications/channels/${channel.id}`, { token: fresh }))
          .status,
        404,
      );
    } finally {
      await emulator.stop();
    }
  });

  it('stops cleanly with sockets open', async () => {
    const emulator = await startEmulator({ world: false });
    const channel = await createChannel(emulator, await getToken(emulator));
    const socket = new WebSocket(channel.connectUri);
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await emulator.stop();
    await closed;
    await assert.rejects(fetch(`${emulator.url}/__emulator/status`));
  });
});
