import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import platformClient from 'purecloud-platform-client-v2';
import { UnknownRegionError } from '../../src/errors.js';
import { knownRegions, resolveRegion } from '../../src/platform/region.js';

const sdkRegions = Object.entries(platformClient.PureCloudRegionHosts);

describe('resolveRegion', () => {
  it('knows every region of the SDK list', () => {
    assert.ok(sdkRegions.length >= 17, 'the SDK list is not empty');
    assert.deepEqual(
      knownRegions().map((r) => [r.name, r.domain]),
      sdkRegions,
    );
  });

  for (const [name, domain] of sdkRegions) {
    it(`resolves ${name} by domain, SDK name, API host and https URL`, () => {
      const expected = {
        name,
        domain,
        apiBaseUrl: `https://api.${domain}`,
        loginBaseUrl: `https://login.${domain}`,
        streamingHost: `streaming.${domain}`,
        streamingBaseUrl: `wss://streaming.${domain}`,
        custom: false,
      };
      assert.deepEqual(resolveRegion(domain), expected);
      assert.deepEqual(resolveRegion(name), expected);
      assert.deepEqual(resolveRegion(`api.${domain}`), expected);
      assert.deepEqual(resolveRegion(`https://api.${domain}/`), expected);
    });
  }

  it('tolerates case, hyphens and surrounding space', () => {
    assert.equal(resolveRegion(' EU-WEST-1 ').domain, 'mypurecloud.ie');
    assert.equal(resolveRegion('MyPureCloud.de').name, 'eu_central_1');
    assert.equal(resolveRegion('login.usw2.pure.cloud').name, 'us_west_2');
  });

  it('takes a custom http base URL for OAuth, REST and ws:// streaming on the same origin', () => {
    assert.deepEqual(resolveRegion('http://127.0.0.1:8787'), {
      name: 'custom',
      apiBaseUrl: 'http://127.0.0.1:8787',
      loginBaseUrl: 'http://127.0.0.1:8787',
      streamingHost: '127.0.0.1:8787',
      streamingBaseUrl: 'ws://127.0.0.1:8787',
      custom: true,
    });
  });

  it('takes a custom https base URL with a path prefix, streaming over wss://', () => {
    const region = resolveRegion('https://gateway.example.com/genesys/');
    assert.equal(region.custom, true);
    assert.equal(region.domain, undefined);
    assert.equal(region.apiBaseUrl, 'https://gateway.example.com/genesys');
    assert.equal(region.loginBaseUrl, 'https://gateway.example.com/genesys');
    assert.equal(region.streamingBaseUrl, 'wss://gateway.example.com/genesys');
    assert.equal(region.streamingHost, 'gateway.example.com');
  });

  it('rejects unknown regions, listing what it expected', () => {
    for (const input of ['mypurecloud.fr', 'eu_west_9', 'api.example.com', '']) {
      assert.throws(
        () => resolveRegion(input),
        (error: unknown) => {
          assert.ok(error instanceof UnknownRegionError);
          assert.equal(error.code, 'region_unknown');
          assert.match(error.message, /mypurecloud\.ie/);
          assert.match(error.message, /eu_west_1/);
          assert.match(error.message, /http:\/\/127\.0\.0\.1:8787/);
          assert.match(error.message, /see docs for the full list/);
          assert.match(error.hint ?? '', /GENESYS_CLOUD_REGION/);
          return true;
        },
      );
    }
  });

  it('rejects malformed and unusable URLs', () => {
    for (const input of [
      'http://',
      'ftp://files.example.com',
      'http://user:pw@127.0.0.1:8787',
      'http://127.0.0.1:8787?x=1',
      'http://[::1',
    ]) {
      assert.throws(() => resolveRegion(input), UnknownRegionError, input);
    }
  });
});
