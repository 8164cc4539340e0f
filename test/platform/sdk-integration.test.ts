import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { knownRegions } from '../../src/config/region.js';
import { GenesysApiError, MissingCredentialsError, UnknownRegionError } from '../../src/errors.js';
import { collectAll, paginate } from '../../src/platform/paginate.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/platform-client.js';
import { type Models, sdk } from '../../src/platform/sdk.js';
import { clientFor } from './support/clients.js';
import { type FakeGenesys, platformErrorBody, startFakeGenesys } from './support/fake-genesys.js';

let server: FakeGenesys;
let client: PlatformClient;
const channels = new Set<string>();

before(async () => {
  server = await startFakeGenesys();
  server.on('POST', '/api/v2/notifications/channels', () => {
    const id = `ch-${channels.size + 1}`;
    channels.add(id);
    return {
      status: 200,
      body: { id, connectUri: `ws://127.0.0.1/channels/${id}`, expires: '2031-01-01T00:00:00.000Z' },
    };
  });
  server.on('HEAD', '/api/v2/notifications/channels/{id}', (req) => ({
    status: channels.has(req.params.id!) ? 200 : 404,
  }));
  server.on('POST', '/api/v2/notifications/channels/{id}/subscriptions', (req) => ({
    status: 200,
    body: {
      entities: (req.body as Array<{ id: string }>).map((t) => ({ id: t.id, state: 'Permitted' })),
      ignoreErrors: req.query.get('ignoreErrors'),
    },
  }));
  server.on('GET', '/api/v2/conversations/{id}', (req) =>
    req.params.id === 'gone'
      ? {
          status: 404,
          body: platformErrorBody(404, 'not.found', 'The requested conversation was not found.'),
        }
      : {
          status: 200,
          body: {
            id: req.params.id,
            participants: [{ id: 'p1', purpose: 'customer', messages: [{ id: 'm1', state: 'connected' }] }],
          },
        },
  );
  const queues = Array.from({ length: 250 }, (_, i) => ({ id: `q${i}`, name: `Queue ${i}` }));
  server.on('GET', '/api/v2/routing/queues', (req) => {
    const pageSize = Number(req.query.get('pageSize') ?? 25);
    const pageNumber = Number(req.query.get('pageNumber') ?? 1);
    return {
      status: 200,
      body: {
        entities: queues.slice((pageNumber - 1) * pageSize, pageNumber * pageSize),
        pageSize,
        pageNumber,
        total: queues.length,
        pageCount: Math.ceil(queues.length / pageSize),
      },
    };
  });
  server.on('GET', '/api/v2/tokens/me', () => ({
    status: 200,
    body: {
      organization: { id: 'org-1', name: 'Example Org' },
      OAuthClient: { id: 'client-4f1c', name: 'switchboard' },
    },
  }));
  client = clientFor(server);
});
after(async () => {
  await client.close();
  await server.close();
});

describe('SDK API classes through our HTTP client', () => {
  it('creates a notification channel with NotificationsApi', async () => {
    const channel: Models.Channel = await client.notifications.postNotificationsChannels();
    assert.equal(channel.id, 'ch-1');
    assert.equal(channel.connectUri, 'ws://127.0.0.1/channels/ch-1');
    const [call] = server.requestsTo('POST', '/api/v2/notifications/channels');
    assert.ok(call);
    assert.equal(call.token, server.issuedTokens[0], 'our bearer token was sent');
    assert.equal(call.text, '', 'no body');
  });

  it('gets a conversation with ConversationsApi', async () => {
    const conversation = await client.conversations.getConversation('c-123');
    assert.equal(conversation.id, 'c-123');
    assert.equal(conversation.participants?.[0]?.purpose, 'customer');
  });

  it('sends a JSON array body and query options', async () => {
    const result = (await client.notifications.postNotificationsChannelSubscriptions(
      'ch-1',
      [{ id: 'v2.users.u1.conversations' }, { id: 'v2.routing.queues.q1.conversations' }],
      { ignoreErrors: true },
    )) as unknown as { entities: Array<{ id: string; state: string }>; ignoreErrors: string };
    assert.deepEqual(
      result.entities.map((e) => e.id),
      ['v2.users.u1.conversations', 'v2.routing.queues.q1.conversations'],
    );
    assert.equal(result.ignoreErrors, 'true');
    const [call] = server.requestsTo('POST', '/api/v2/notifications/channels/ch-1/subscriptions');
    assert.match(String(call!.headers['content-type']), /application\/json/);
  });

  it('answers HEAD with no body, and rejects a 404 with our GenesysApiError', async () => {
    assert.equal(await client.notifications.headNotificationsChannel('ch-1'), undefined);
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
    const before = server.requestsTo('GET', '/api/v2/routing/queues').length;
    const names: string[] = [];
    for await (const queue of paginate(({ pageNumber, pageSize }) =>
      client.routing.getRoutingQueues({ pageNumber, pageSize }),
    )) {
      names.push(queue.name ?? '');
    }
    assert.equal(names.length, 250);
    assert.equal(names[249], 'Queue 249');
    assert.equal(server.requestsTo('GET', '/api/v2/routing/queues').length - before, 3);
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
    await client.conversations.getConversation('c-prio', {
      customHeaders: { 'X-Switchboard-Purpose': 'backfill' },
    });
    const [call] = server.requestsTo('GET', '/api/v2/conversations/c-prio');
    assert.ok(call);
    assert.equal(call.headers['x-switchboard-purpose'], undefined);
    assert.equal(client.stats().budget.purposes.backfill.granted, before + 1);
  });

  it('binds any other SDK API class to this client', async () => {
    const me = await client.api(sdk.TokensApi).getTokensMe();
    assert.equal(me.organization?.name, 'Example Org');
    assert.equal(me.OAuthClient?.name, 'switchboard');
  });

  it('keeps each client on its own base URL and leaves the SDK singleton alone', async () => {
    const other = await startFakeGenesys();
    other.on('GET', '/api/v2/conversations/{id}', (req) => ({
      status: 200,
      body: { id: `other-${req.params.id}` },
    }));
    const otherClient = clientFor(other);
    try {
      const [mine, theirs] = await Promise.all([
        client.conversations.getConversation('x'),
        otherClient.conversations.getConversation('x'),
      ]);
      assert.equal(mine.id, 'x');
      assert.equal(theirs.id, 'other-x');
      assert.notEqual(client.apiClient, sdk.ApiClient);
      assert.equal(sdk.ApiClient.config.gateway, undefined, 'the global SDK client was not re-aimed');
    } finally {
      await otherClient.close();
      await other.close();
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
