/**
 * Region and credentials told apart, against real servers: the emulator's login endpoint (a wrong secret, a client
 * another "region" does not know), a closed port, a host that does not resolve, a region name that does not exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatReport, reportJson, runDoctor } from '../../src/doctor/index.js';
import type { Emulator } from '../../src/emulator/index.js';
import { check, closedPort, DEMO, doctor, quietEmulator } from './helpers.js';

const EU_CLIENT = { clientId: 'eu-client', clientSecret: 'eu-secret-d41d8cd98f00' };

describe('doctor: region and credentials', () => {
  let home: Emulator;
  let elsewhere: Emulator;
  before(async () => {
    home = await quietEmulator([{ ...EU_CLIENT, permissions: ['*'] }]);
    // Another region: the same platform, an org that has never heard of eu-client.
    elsewhere = await quietEmulator();
  });
  after(async () => {
    await home.stop();
    await elsewhere.stop();
  });

  it('a wrong secret: the region answers, the client is known, its secret is refused', async () => {
    const report = await doctor(home, { clientId: EU_CLIENT.clientId, clientSecret: 'not-the-secret' });
    assert.equal(check(report, 'region').status, 'pass');
    const credentials = check(report, 'credentials');
    assert.equal(credentials.status, 'fail');
    assert.match(credentials.detail, /knows client eu-client but refused its secret/);
    assert.match(credentials.detail, /authentication failed/);
    assert.match(credentials.fix ?? '', /secret of client eu-client.*GENESYS_CLOUD_CLIENT_SECRET/);
    assert.doesNotMatch(credentials.fix ?? '', /region/i, 'a wrong secret is not blamed on the region');
    assert.equal(check(report, 'token').status, 'skip');
    assert.equal(report.ok, false);
    assert.equal(report.requests, 0, 'no REST call without a token');
  });

  it('a region that does not know the client: the fix asks whether the region is right', async () => {
    const report = await doctor(elsewhere, EU_CLIENT);
    assert.equal(check(report, 'region').status, 'pass');
    const credentials = check(report, 'credentials');
    assert.equal(credentials.status, 'fail');
    assert.match(credentials.detail, /does not know client eu-client/);
    assert.match(credentials.detail, /client not found/);
    assert.match(credentials.fix ?? '', /^Is the region right\?/);
    assert.match(credentials.fix ?? '', /GENESYS_CLOUD_REGION/);
    assert.equal(report.ok, false);
  });

  it('a closed port: the region fails (nothing listens), the credentials are not judged', async () => {
    const report = await doctor({ url: `http://127.0.0.1:${await closedPort()}` }, EU_CLIENT);
    const region = check(report, 'region');
    assert.equal(region.status, 'fail');
    assert.match(region.detail, /nothing listens/);
    assert.match(region.fix ?? '', /emulator or gateway running/);
    assert.equal(check(report, 'credentials').status, 'skip');
    assert.equal(report.ok, false);
  });

  it('a host that does not resolve: the region fails with the name that was looked up', async () => {
    const report = await doctor({ url: 'http://login.switchboard-doctor.invalid' }, EU_CLIENT);
    const region = check(report, 'region');
    assert.equal(region.status, 'fail');
    assert.match(region.detail, /login\.switchboard-doctor\.invalid does not resolve/);
    assert.match(region.fix ?? '', /mypurecloud\.ie/, 'the fix lists the platform’s regions');
    assert.equal(check(report, 'credentials').status, 'skip');
  });

  it('a region name the platform does not have fails the region check before any connection', async () => {
    const report = await runDoctor(
      { region: 'eu_west_9', clientId: EU_CLIENT.clientId, clientSecret: EU_CLIENT.clientSecret, env: {} },
      { probeTopics: false },
    );
    assert.deepEqual(
      report.checks.map((c) => [c.id, c.status]),
      [['region', 'fail']],
    );
    assert.match(check(report, 'region').fix ?? '', /mypurecloud\.com\.au/);
  });

  it('a missing secret fails the client check and says where to put it', async () => {
    const report = await runDoctor(
      { region: home.url, clientId: EU_CLIENT.clientId, env: {} },
      { probeTopics: false },
    );
    const credentials = check(report, 'credentials');
    assert.equal(credentials.status, 'fail');
    assert.match(credentials.fix ?? '', /GENESYS_CLOUD_CLIENT_SECRET/);
  });

  it('prints no secret, in the checklist or in JSON, whether the secret is right or wrong', async () => {
    for (const secret of [EU_CLIENT.clientSecret, 'wrong-secret-8f14e45fceea']) {
      const report = await doctor(home, { clientId: EU_CLIENT.clientId, clientSecret: secret });
      for (const text of [formatReport(report), reportJson(report)]) {
        assert.ok(text.includes(EU_CLIENT.clientId), 'the client id is shown');
        assert.ok(!text.includes(secret), 'the secret is not');
      }
    }
    const passing = await doctor(home, DEMO);
    assert.ok(!reportJson(passing).includes(DEMO.clientSecret));
  });
});
