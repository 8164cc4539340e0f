import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { GenesysApiError, MissingCredentialsError, UnknownRegionError } from '../../src/errors.js';
import { collectAll, paginate } from '../../src/platform/paginate.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/platform-client.js';
import { knownRegions } from '../../src/platform/region.js';
import { type Models, sdk } from '../../src/platform/sdk.js';
import { clientFor, emulatorTarget } from './support/clients.js';

let emulator: Emulator;
let client: PlatformClient;
/** The channel the first test creates; later tests subscribe it and ask after it. */
let channelId = '';
/** Conversations the world started, for the calls that read one. */
let conversationIds: string[] = [];

before(async () => {
  emulator = await startEmulator({ agents: 250, queues: 250, historyDays: 0, conversationsPerMinute: 0 });
  conversationIds = Array.from(
    { length: 4 },
    () => emulator.world!.startScriptedConversation({ kind: 'voice', transfer: 'none' }).conversationId,
  );
  client = clientFor(emulatorTarget(emulator));
});
after(async () => {
  await client.close();
  await emulator.stop();
});

describe('SDK API classes through our HTTP client', () => {
  it('creates a notification channel with NotificationsApi', async () => {
    const channel: Models.Channel = await client.notifications.postNotificationsChannels();
    assert.ok(channel.id && emulator.hub.channels.get(channel.id), 'the emulator made that channel');
    channelId = channel.id;
    assert.match(
      channel.connectUri ?? '',
      new RegExp(`^ws://127\\.0\\.0\\.1:${emulator.port}/.*${channel.id}`),
    );
    const [call] = emulator.requests.list('POST', '/api/v2/notifications/channels');
    assert.ok(call);
    const token = call.headers.authorization?.replace(/^Bearer /, '') ?? '';
    assert.equal(emulator.tokens.check(token).status, 'valid', 'our bearer token was sent');
    assert.equal(call.text, '', 'no body');
  });

  it('gets a conversation with ConversationsApi', async () => {
    const conversation = await client.conversations.getConversation(conversationIds[0]!);
    assert.equal(conversation.id, conversationIds[0]);
    assert.equal(conversation.participants?.[0]?.purpose, 'customer');
  });

  it('sends a JSON array body and query options', async () => {
    const { org } = emulator.world!;
    const topics = [
      `v2.users.${org.users[0]!.id}.conversations`,
      `v2.routing.queues.${org.queues[0]!.id}.conversations`,
    ];
    const result = (await client.notifications.postNotificationsChannelSubscriptions(
      channelId,
      topics.map((id) => ({ id })),
      { ignoreErrors: true },
    )) as unknown as { entities: Array<{ id: string; state: string }> };
    assert.deepEqual(
      result.entities.map((e) => e.id),
      topics,
    );
    const [call] = emulator.requests.list(
      'POST',
      `/api/v2/notifications/channels/${channelId}/subscriptions`,
    );
    assert.equal(call!.query.get('ignoreErrors'), 'true');
    assert.deepEqual(
      JSON.parse(call!.text),
      topics.map((id) => ({ id })),
    );
    assert.match(String(call!.headers['content-type']), /application\/json/);
  });

  it('answers HEAD with no body, and rejects a 404 with our GenesysApiError', async () => {
    assert.equal(await client.notifications.headNotificationsChannel(channelId), undefined);
    await assert.rejects(client.notifications.headNotificationsChannel('ch-unknown'), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError, 'the SDK passes our error through unchanged');
      assert.equal(error.status, 404);
      assert.equal(error.method, 'HEAD');
      assert.equal(error.path, '/api/v2/notifications/channels/ch-unknown');
      return true;
    });
    await assert.rejects(client.conversations.getConversation('gone'), (error: unknown) => {
      assert.ok(error instanceof GenesysApiError);
      assert.equal(error.platformCode, 'not.found');
      assert.ok(error.correlationId);
      return true;
    });
  });

  it('pages through a listing with paginate', async () => {
    const before = emulator.requests.list('GET', '/api/v2/routing/queues').length;
    const names: string[] = [];
    for await (const queue of paginate(({ pageNumber, pageSize }) =>
      client.routing.getRoutingQueues({ pageNumber, pageSize }),
    )) {
      names.push(queue.name ?? '');
    }
    assert.equal(names.length, 250);
    assert.deepEqual(
      [...names].sort(),
      emulator.world!.org.queues.map((q) => q.name).sort(),
      'every queue once, the last page included',
    );
    assert.equal(emulator.requests.list('GET', '/api/v2/routing/queues').length - before, 3);
    const small = await collectAll(
      ({ pageNumber, pageSize }) => client.routing.getRoutingQueues({ pageNumber, pageSize }),
      {
        pageSize: 100,
        maxPages: 2,
      },
    );
    assert.equal(small.length, 200, 'maxPages bounds the walk');
  });

  it('takes a per-call budget purpose through customHeaders without sending it on', async () => {
    const before = client.stats().budget.purposes.backfill.granted;
    await client.conversations.getConversation(conversationIds[1]!, {
      customHeaders: { 'X-Switchboard-Purpose': 'backfill' },
    });
    const [call] = emulator.requests.list('GET', `/api/v2/conversations/${conversationIds[1]}`);
    assert.ok(call);
    assert.equal(call.headers['x-switchboard-purpose'], undefined);
    assert.equal(client.stats().budget.purposes.backfill.granted, before + 1);
  });

  it('binds any other SDK API class to this client', async () => {
    const me = await client.api(sdk.TokensApi).getTokensMe();
    assert.equal(me.organization?.name, 'Switchboard Emulator');
    assert.equal(me.OAuthClient?.name, DEFAULT_CLIENT.name);
  });

  it('keeps each client on its own base URL and leaves the SDK singleton alone', async () => {
    const other = await startEmulator({ seed: 7, historyDays: 0, conversationsPerMinute: 0 });
    const theirId = other.world!.startScriptedConversation({
      kind: 'voice',
      transfer: 'none',
    }).conversationId;
    const otherClient = clientFor(emulatorTarget(other));
    try {
      const [mine, theirs, notMine] = await Promise.all([
        client.conversations.getConversation(conversationIds[2]!),
        otherClient.conversations.getConversation(theirId),
        client.conversations.getConversation(theirId).catch((error: unknown) => error),
      ]);
      assert.equal(mine.id, conversationIds[2]);
      assert.equal(theirs.id, theirId);
      assert.ok(notMine instanceof GenesysApiError && notMine.status === 404, 'each asked its own platform');
      assert.notEqual(client.apiClient, sdk.ApiClient);
      assert.equal(sdk.ApiClient.config.gateway, undefined, 'the global SDK client was not re-aimed');
    } finally {
      await otherClient.close();
      await other.stop();
    }
  });

  it('counts what it did', () => {
    const stats = client.stats();
    assert.ok(stats.requests >= 10);
    assert.equal(stats.requests, stats.succeeded + stats.failed);
    assert.equal(stats.rateLimited, 0);
    assert.equal(stats.tokenRequests, 1);
    assert.ok(stats.tokenExpiresAt && stats.tokenExpiresAt > Date.now());
    assert.ok(stats.budget.limit > 0);
  });
});

describe('aiming the SDK', () => {
  it('points a per-instance SDK client at every known region', async () => {
    for (const region of knownRegions()) {
      const aimed = createPlatformClient({ region: region.name, clientId: 'id', clientSecret: 'secret' });
      assert.equal(
        aimed.apiClient.config.getConfUrl('api', aimed.apiClient.config.basePath),
        region.apiBaseUrl,
      );
      assert.equal(
        aimed.apiClient.config.getConfUrl('login', aimed.apiClient.config.authUrl),
        region.loginBaseUrl,
      );
      await aimed.close();
    }
  });

  it('refuses to start without credentials or with an unknown region', () => {
    assert.throws(
      () => createPlatformClient({ region: 'eu_west_1', clientId: 'id', clientSecret: ' ' }),
      (error: unknown) =>
        error instanceof MissingCredentialsError && /GENESYS_CLOUD_CLIENT_SECRET/.test(error.hint ?? ''),
    );
    assert.throws(
      () => createPlatformClient({ region: 'atlantis', clientId: 'id', clientSecret: 's' }),
      UnknownRegionError,
    );
  });

  it('sends login and API calls to a custom base URL, path prefix included', async () => {
    const aimed = createPlatformClient({
      region: 'http://127.0.0.1:9/genesys',
      clientId: 'id',
      clientSecret: 's',
    });
    const config = aimed.apiClient.config;
    assert.equal(config.getConfUrl('api', config.basePath), 'http://127.0.0.1:9/genesys');
    assert.equal(config.getConfUrl('login', config.authUrl), 'http://127.0.0.1:9/genesys');
    await aimed.close();
  });
});

describe('importing the SDK', () => {
  it('works from plain Node ESM (the package is CommonJS)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      "import p from 'purecloud-platform-client-v2'; console.log(typeof p.ApiClientClass, typeof p.AbstractHttpClient, typeof p.NotificationsApi, Object.keys(p.PureCloudRegionHosts).length > 0)",
    ]);
    assert.equal(stdout.trim(), 'function function function true');
  });
});
