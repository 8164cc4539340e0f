import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { sendHttp, TransportError } from '../../src/platform/http-transport.js';
import {
  closeProxyAgents,
  describeProxy,
  ProxySettingError,
  proxyConfigured,
  proxyFor,
  webSocketAgentFor,
} from '../../src/platform/proxy.js';
import { resolveRegion } from '../../src/platform/region.js';
import { waitFor } from '../helpers/wait-for.js';
import { type RecordingProxy, startRecordingProxy } from './support/recording-proxy.js';

const VARIABLES = [
  'https_proxy',
  'HTTPS_PROXY',
  'http_proxy',
  'HTTP_PROXY',
  'no_proxy',
  'NO_PROXY',
  'all_proxy',
  'ALL_PROXY',
];
let saved: Record<string, string | undefined> = {};

/** Sets exactly these proxy variables for the test (every other one unset). */
function setEnv(values: Record<string, string>): void {
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, values);
}

beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  setEnv({});
});

afterEach(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await closeProxyAgents();
});

describe('proxy settings from the environment', () => {
  it('chooses nothing without proxy variables', () => {
    assert.equal(proxyConfigured(), false);
    assert.equal(proxyFor('https://api.mypurecloud.ie/api/v2/users'), undefined);
    assert.equal(proxyFor('wss://streaming.mypurecloud.ie/channels/x'), undefined);
    assert.equal(describeProxy(resolveRegion('mypurecloud.ie')), undefined);
  });

  it('reads HTTPS_PROXY for https and wss, HTTP_PROXY for http and ws, never one for the other', () => {
    setEnv({ HTTPS_PROXY: 'http://secure.example:3128' });
    assert.equal(proxyFor('https://api.mypurecloud.ie/')?.display, 'secure.example:3128');
    assert.equal(proxyFor('wss://streaming.mypurecloud.ie/x')?.variable, 'HTTPS_PROXY');
    assert.equal(proxyFor('http://127.0.0.1:8787/'), undefined);
    assert.equal(proxyFor('ws://127.0.0.1:8787/'), undefined);
    setEnv({ HTTP_PROXY: 'http://plain.example:8080' });
    assert.equal(proxyFor('http://127.0.0.1:8787/')?.display, 'plain.example:8080');
    assert.equal(proxyFor('ws://127.0.0.1:8787/')?.variable, 'HTTP_PROXY');
    assert.equal(proxyFor('https://api.mypurecloud.ie/'), undefined);
  });

  it('prefers lower-case names, treats empty values as unset, defaults the scheme to http, ignores ALL_PROXY', () => {
    setEnv({ https_proxy: 'lower.example:1', HTTPS_PROXY: 'http://upper.example:2' });
    const chosen = proxyFor('https://api.mypurecloud.ie/');
    assert.equal(chosen?.variable, 'https_proxy');
    assert.equal(chosen?.url.href, 'http://lower.example:1/');
    setEnv({ https_proxy: '', HTTPS_PROXY: 'http://upper.example:2' });
    assert.equal(proxyFor('https://api.mypurecloud.ie/')?.variable, 'HTTPS_PROXY');
    setEnv({ ALL_PROXY: 'http://all.example:3' });
    assert.equal(proxyConfigured(), false);
    assert.equal(proxyFor('https://api.mypurecloud.ie/'), undefined);
    setEnv({ HTTPS_PROXY: 'https://tls-proxy.example' });
    assert.equal(proxyFor('https://api.mypurecloud.ie/')?.display, 'tls-proxy.example:443');
  });

  it('bypasses the hosts NO_PROXY names, the same way for REST and WebSocket', () => {
    const base = { HTTPS_PROXY: 'http://proxy.example:3128', HTTP_PROXY: 'http://proxy.example:3128' };
    const cases: Array<[string, string, boolean]> = [
      // [NO_PROXY, target, proxied]
      ['api.mypurecloud.ie', 'https://api.mypurecloud.ie/', false],
      ['api.mypurecloud.ie', 'https://login.mypurecloud.ie/', true],
      ['.mypurecloud.ie', 'https://api.mypurecloud.ie/', false],
      ['*.mypurecloud.ie', 'wss://streaming.mypurecloud.ie/', false],
      ['.mypurecloud.ie', 'https://api.mypurecloud.com/', true],
      ['localhost, 127.0.0.1', 'http://127.0.0.1:8787/', false],
      ['127.0.0.1:9999', 'http://127.0.0.1:8787/', true],
      ['127.0.0.1:8787', 'ws://127.0.0.1:8787/', false],
      ['*', 'https://api.mypurecloud.ie/', false],
      ['', 'http://127.0.0.1:8787/', true],
    ];
    for (const [noProxy, target, proxied] of cases) {
      setEnv({ ...base, NO_PROXY: noProxy });
      assert.equal(proxyFor(target) !== undefined, proxied, `NO_PROXY=${noProxy} ${target}`);
      assert.equal(webSocketAgentFor(target.replace(/^http/, 'ws')) !== undefined, proxied, `ws ${target}`);
    }
    setEnv({ ...base, no_proxy: 'api.mypurecloud.ie', NO_PROXY: '*' });
    assert.notEqual(proxyFor('https://login.mypurecloud.ie/'), undefined, 'no_proxy wins over NO_PROXY');
  });

  it('refuses an unusable proxy without repeating its credentials', () => {
    setEnv({ HTTPS_PROXY: 'socks5://user:s3cret@socks.example:1080' });
    assert.throws(
      () => proxyFor('https://api.mypurecloud.ie/'),
      (error: unknown) =>
        error instanceof ProxySettingError &&
        error.code === 'config_invalid' &&
        /socks5 proxy at socks\.example:1080/.test(error.message) &&
        !error.message.includes('s3cret'),
    );
    setEnv({ HTTPS_PROXY: 'http://user:s3cret@[bad' });
    assert.throws(
      () => describeProxy(resolveRegion('mypurecloud.ie')),
      (error: unknown) => error instanceof ProxySettingError && !error.message.includes('s3cret'),
    );
  });

  it('describes the routes at start with host:port only', () => {
    setEnv({
      HTTPS_PROXY: 'http://alice:pa%40ss@proxy.corp.example:3128',
      NO_PROXY: 'login.mypurecloud.ie',
    });
    const summary = describeProxy(resolveRegion('mypurecloud.ie'));
    assert.ok(summary);
    assert.deepEqual(
      summary.routes.map((route) => [route.role, route.target, route.via, route.variable]),
      [
        ['rest', 'api.mypurecloud.ie', 'proxy.corp.example:3128', 'HTTPS_PROXY'],
        ['login', 'login.mypurecloud.ie', undefined, 'NO_PROXY'],
        ['notifications', 'streaming.mypurecloud.ie', 'proxy.corp.example:3128', 'HTTPS_PROXY'],
      ],
    );
    assert.equal(
      summary.line,
      'proxy proxy.corp.example:3128 (HTTPS_PROXY) for REST api.mypurecloud.ie, notifications streaming.mypurecloud.ie; ' +
        'direct (NO_PROXY) for login login.mypurecloud.ie',
    );
    assert.ok(!summary.line.includes('alice') && !summary.line.includes('pa'), summary.line);
    // An emulator over plain http with only HTTPS_PROXY set: nothing goes through the proxy, and the line says so.
    const local = describeProxy(resolveRegion('http://127.0.0.1:8787'));
    assert.equal(
      local?.line,
      'direct for REST 127.0.0.1:8787, login 127.0.0.1:8787, notifications 127.0.0.1:8787',
    );
  });
});

describe('REST and WebSocket through a proxy on loopback', () => {
  let proxy: RecordingProxy;
  let server: Server;
  let wss: WebSocketServer;
  let origin: string;
  let served: string[];

  beforeEach(async () => {
    served = [];
    server = createServer((req, res) => {
      served.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.send('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await closeProxyAgents();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await proxy?.close();
  });

  it('sends REST through the proxy, with the credentials of its URL', async () => {
    proxy = await startRecordingProxy({ credentials: 'alice:pa@ss' });
    setEnv({ HTTP_PROXY: `http://alice:pa%40ss@127.0.0.1:${proxy.port}`, NO_PROXY: '' });
    const reply = await sendHttp({
      url: `${origin}/api/v2/users?pageSize=1`,
      method: 'GET',
      headers: { Accept: 'application/json' },
      timeoutMs: 5000,
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { ok: true, path: '/api/v2/users?pageSize=1' });
    const port = new URL(origin).port;
    assert.deepEqual(
      proxy.tunnels.map((tunnel) => tunnel.target),
      [`127.0.0.1:${port}`],
    );
    assert.equal(proxy.tunnels[0]?.authorization, `Basic ${Buffer.from('alice:pa@ss').toString('base64')}`);
    assert.deepEqual(
      proxy.tunnelledRequests().map((request) => request.line),
      ['GET /api/v2/users?pageSize=1 HTTP/1.1'],
    );
    const post = await sendHttp({
      url: `${origin}/oauth/token`,
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
      timeoutMs: 5000,
    });
    assert.equal(post.status, 200);
    assert.ok(served.includes('POST /oauth/token'));
  });

  it('goes direct when NO_PROXY names the host, and when no variable is set', async () => {
    proxy = await startRecordingProxy();
    setEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    assert.equal(
      (await sendHttp({ url: `${origin}/a`, method: 'GET', headers: {}, timeoutMs: 5000 })).status,
      200,
    );
    const socket = new WebSocket(`${origin.replace('http', 'ws')}/ws`, {
      ...(webSocketAgentFor(`${origin.replace('http', 'ws')}/ws`)
        ? { agent: webSocketAgentFor(origin) }
        : {}),
    });
    await new Promise((resolve, reject) => {
      socket.once('message', resolve);
      socket.once('error', reject);
    });
    socket.terminate();
    setEnv({});
    assert.equal(
      (await sendHttp({ url: `${origin}/b`, method: 'GET', headers: {}, timeoutMs: 5000 })).status,
      200,
    );
    assert.deepEqual(proxy.tunnels, []);
    assert.deepEqual(proxy.forwarded, []);
    assert.deepEqual(served, ['GET /a', 'GET /b']);
  });

  it('opens a WebSocket through a CONNECT tunnel', async () => {
    proxy = await startRecordingProxy({ credentials: 'bob:secret' });
    setEnv({ HTTP_PROXY: `http://bob:secret@127.0.0.1:${proxy.port}`, NO_PROXY: '' });
    const target = `${origin.replace('http', 'ws')}/channels/abc`;
    const agent = webSocketAgentFor(target);
    assert.ok(agent);
    const socket = new WebSocket(target, { agent });
    const first = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data) => resolve(data.toString()));
      socket.once('error', reject);
    });
    assert.equal(first, 'hello');
    socket.close();
    assert.equal(proxy.tunnels[0]?.authorization, `Basic ${Buffer.from('bob:secret').toString('base64')}`);
    assert.deepEqual(proxy.tunnelledRequests(), [
      {
        target: `127.0.0.1:${new URL(origin).port}`,
        line: 'GET /channels/abc HTTP/1.1',
        upgrade: 'websocket',
      },
    ]);
  });

  it('says which proxy failed: not listening, or refusing the tunnel', async () => {
    proxy = await startRecordingProxy({ credentials: 'alice:right' });
    setEnv({ HTTP_PROXY: `http://alice:wrong@127.0.0.1:${proxy.port}` });
    await assert.rejects(
      sendHttp({ url: `${origin}/x`, method: 'POST', headers: {}, timeoutMs: 5000 }),
      (error: unknown) =>
        error instanceof TransportError &&
        error.kind === 'not_sent' &&
        error.message === `proxy 127.0.0.1:${proxy.port} refused the tunnel (407)`,
    );
    await proxy.close();
    await closeProxyAgents();
    await assert.rejects(
      sendHttp({ url: `${origin}/x`, method: 'GET', headers: {}, timeoutMs: 5000 }),
      (error: unknown) =>
        error instanceof TransportError &&
        error.kind === 'not_sent' &&
        error.message === `cannot connect to proxy 127.0.0.1:${proxy.port} (ECONNREFUSED)` &&
        !error.message.includes('wrong'),
    );
    assert.deepEqual(served, []);
    setEnv({ HTTP_PROXY: 'socks5://127.0.0.1:1080' });
    await assert.rejects(
      sendHttp({ url: `${origin}/x`, method: 'GET', headers: {}, timeoutMs: 5000 }),
      (error: unknown) =>
        error instanceof TransportError &&
        error.kind === 'not_sent' &&
        /unusable proxy setting/.test(error.message),
    );
    await waitFor(() => proxy.tunnels.length === 1, 'the one refused tunnel recorded');
  });
});
