import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Emulator, startEmulator } from '../../src/emulator/index.js';
import { createChannel, getToken, SocketProbe } from './helpers.js';

describe('request journal: WebSocket upgrades', () => {
  let emulator: Emulator;
  let token: string;
  before(async () => {
    emulator = await startEmulator({ world: false, heartbeatIntervalMs: 100 });
    token = await getToken(emulator);
  });
  after(() => emulator.stop());

  it('records every upgrade with its path, headers and answer, apart from the REST requests', async () => {
    const channel = await createChannel(emulator, token);
    emulator.requests.clear();
    const probe = await SocketProbe.open(channel.connectUri);
    const unknown = `/channels/00000000-0000-4000-8000-000000000000`;
    await assert.rejects(SocketProbe.open(`ws://127.0.0.1:${emulator.port}${unknown}`), /404/);
    probe.close();

    const upgrades = emulator.requests.upgrades();
    assert.deepEqual(
      upgrades.map((u) => `${u.path} ${u.status}`),
      [`/channels/${channel.id} 101`, `${unknown} 404`],
    );
    assert.equal(upgrades[0]!.headers.upgrade?.toLowerCase(), 'websocket');
    assert.equal(typeof upgrades[0]!.headers['sec-websocket-key'], 'string');
    assert.ok(upgrades[1]!.at >= upgrades[0]!.at);
    assert.equal(emulator.requests.upgrades(`/channels/${channel.id}`).length, 1);
    assert.equal(emulator.requests.upgrades(/00000000-0000/).length, 1);
    assert.deepEqual(emulator.requests.list(), [], 'upgrades are not REST requests');

    emulator.requests.clear();
    assert.deepEqual(emulator.requests.upgrades(), []);
  });
});
