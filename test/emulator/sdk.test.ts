/**
 * The official SDK, with its own HTTP client, against the emulator: login, channels, subscriptions, errors and
 * the stream, exactly as an application would call the real platform.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import platformClient from 'purecloud-platform-client-v2';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { type Frame, SocketProbe } from './helpers.js';

type SdkApiClient = InstanceType<typeof platformClient.ApiClientClass>;

const QUEUE = 'v2.routing.queues.5d1e6c2a-3b4f-4a8e-9c7d-1e2f3a4b5c6d.conversations';

function sdkClientFor(emulator: Emulator): SdkApiClient {
  const client = new platformClient.ApiClientClass();
  client.config.live_reload_config = false;
  (client.config.logger as unknown as { log: () => void }).log = () => {};
  client.setEnvironment('mypurecloud.com');
  client.setGateway({ host: '127.0.0.1', protocol: 'http', port: emulator.port });
  return client;
}

describe('official SDK against the emulator', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator({ world: false });
  });
  after(() => emulator.stop());

  it('logs in with client credentials and drives the Notification API', async () => {
    const client = sdkClientFor(emulator);
    const auth = await client.loginClientCredentialsGrant(
      DEFAULT_CLIENT.clientId,
      DEFAULT_CLIENT.clientSecret,
    );
    assert.equal(typeof auth.accessToken, 'string');
    assert.ok((auth.tokenExpiryTime ?? 0) > Date.now() + 86_000_000);

    const notifications = new platformClient.NotificationsApi(client);
    const channel = await notifications.postNotificationsChannels();
    assert.match(channel.id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(channel.connectUri, `ws://127.0.0.1:${emulator.port}/channels/${channel.id}`);
    assert.ok(Date.parse(channel.expires ?? '') > Date.now());

    const subscribed = await notifications.postNotificationsChannelSubscriptions(channel.id!, [
      { id: QUEUE },
    ]);
    assert.deepEqual(subscribed.entities, [{ id: QUEUE }]);
    const listed = await notifications.getNotificationsChannelSubscriptions(channel.id!);
    assert.deepEqual(listed.entities, [{ id: QUEUE }]);
    const channels = await notifications.getNotificationsChannels();
    assert.deepEqual(
      channels.entities?.map((entity) => entity.id),
      [channel.id],
    );
    await notifications.headNotificationsChannel(channel.id!);

    const probe = await SocketProbe.open(channel.connectUri!);
    try {
      emulator.hub.publish(QUEUE, { id: 'a1b2c3d4-0000-4000-8000-000000000001', participants: [] });
      const frame = await probe.next((candidate: Frame) => candidate.topicName === QUEUE);
      assert.equal(frame.eventBody.id, 'a1b2c3d4-0000-4000-8000-000000000001');
    } finally {
      probe.close();
    }

    const report = await notifications.putNotificationsChannelSubscriptions(
      channel.id!,
      [{ id: QUEUE }, { id: 'channel.metadata' }],
      { ignoreErrors: true },
    );
    assert.deepEqual(
      report.entities?.map((entity) => [entity.id, entity.state]),
      [
        [QUEUE, 'Permitted'],
        ['channel.metadata', 'Rejected'],
      ],
    );
    await notifications.deleteNotificationsChannelSubscriptions(channel.id!);
    const topics = await notifications.getNotificationsAvailabletopics();
    assert.ok((topics.entities?.length ?? 0) > 10);
  });

  it('surfaces platform errors to the SDK as the real platform does', async () => {
    const client = sdkClientFor(emulator);
    await client.loginClientCredentialsGrant(DEFAULT_CLIENT.clientId, DEFAULT_CLIENT.clientSecret);
    const notifications = new platformClient.NotificationsApi(client);
    // HEAD has no body: the SDK rejects with nothing but the fact that it failed.
    const headFailed = await notifications
      .headNotificationsChannel('00000000-0000-4000-8000-000000000000')
      .then(
        () => false,
        () => true,
      );
    assert.equal(headFailed, true);
    // Other errors: the SDK rejects with the platform's error body.
    const refused = await notifications
      .postNotificationsChannelSubscriptions('00000000-0000-4000-8000-000000000000', [{ id: QUEUE }])
      .then(
        () => undefined,
        (error: unknown) => error as { status: number; code: string; contextId: string },
      );
    assert.equal(refused?.status, 404);
    assert.equal(refused?.code, 'not.found');
    assert.match(refused?.contextId ?? '', /^[0-9a-f-]{36}$/);
  });

  it('rejects a bad secret at login', async () => {
    const client = sdkClientFor(emulator);
    const failure = await client.loginClientCredentialsGrant(DEFAULT_CLIENT.clientId, 'wrong-secret').then(
      () => undefined,
      (error: unknown) => error as { response?: { status: number; data: { error?: string } } },
    );
    assert.ok(failure, 'login must fail');
    assert.equal(failure.response?.status, 401);
    assert.equal(failure.response?.data.error, 'invalid_client');
  });
});
