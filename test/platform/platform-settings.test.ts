import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, MissingCredentialsError, UnknownRegionError } from '../../src/errors.js';
import { loadPlatformSettings } from '../../src/platform/platform-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const fullEnv = {
  GENESYS_CLOUD_REGION: 'mypurecloud.de',
  GENESYS_CLOUD_CLIENT_ID: 'env-id',
  GENESYS_CLOUD_CLIENT_SECRET: 'env-secret',
};

describe('loadPlatformSettings', () => {
  it('reads the conventional environment variables', () => {
    const settings = loadPlatformSettings({ env: fullEnv });
    assert.equal(settings.region.name, 'eu_central_1');
    assert.equal(settings.clientId, 'env-id');
    assert.equal(settings.clientSecret, 'env-secret');
    assert.deepEqual(settings.sources, { region: 'env', clientId: 'env', clientSecret: 'env' });
  });

  it('prefers options over environment over file', () => {
    const path = file('all.yaml', 'region: mypurecloud.jp\nclientId: file-id\nclientSecret: file-secret\n');
    const settings = loadPlatformSettings({
      region: 'eu_west_1',
      configFile: path,
      env: { GENESYS_CLOUD_CLIENT_ID: 'env-id' },
    });
    assert.equal(settings.region.domain, 'mypurecloud.ie');
    assert.equal(settings.clientId, 'env-id');
    assert.equal(settings.clientSecret, 'file-secret');
    assert.deepEqual(settings.sources, { region: 'option', clientId: 'env', clientSecret: 'file' });
  });

  it('reads a genesys: section of a larger YAML file and ignores other sections', () => {
    const path = file(
      'nested.yaml',
      'sinks:\n  - stdout\ngenesys:\n  region: http://127.0.0.1:8787\n  clientId: nested-id\n  clientSecret: nested-secret\n',
    );
    const settings = loadPlatformSettings({ configFile: path, env: {} });
    assert.equal(settings.region.custom, true);
    assert.equal(settings.region.apiBaseUrl, 'http://127.0.0.1:8787');
    assert.equal(settings.clientId, 'nested-id');
  });

  it('treats blank environment values as unset', () => {
    const settings = loadPlatformSettings({
      env: { ...fullEnv, GENESYS_CLOUD_CLIENT_ID: '  ' },
      clientId: 'opt-id',
    });
    assert.equal(settings.clientId, 'opt-id');
    assert.throws(
      () => loadPlatformSettings({ env: { ...fullEnv, GENESYS_CLOUD_CLIENT_ID: '' } }),
      MissingCredentialsError,
    );
  });

  it('names the variable to set when the secret is missing', () => {
    assert.throws(
      () => loadPlatformSettings({ env: { ...fullEnv, GENESYS_CLOUD_CLIENT_SECRET: undefined } }),
      (error: unknown) => {
        assert.ok(error instanceof MissingCredentialsError);
        assert.equal(error.code, 'credentials_missing');
        assert.match(error.hint ?? '', /GENESYS_CLOUD_CLIENT_SECRET/);
        assert.doesNotMatch(error.describe(), /env-secret/);
        return true;
      },
    );
  });

  it('names the variable to set when the client id or region is missing', () => {
    assert.throws(
      () => loadPlatformSettings({ env: { ...fullEnv, GENESYS_CLOUD_CLIENT_ID: undefined } }),
      (error: unknown) =>
        error instanceof MissingCredentialsError && /GENESYS_CLOUD_CLIENT_ID/.test(error.hint ?? ''),
    );
    assert.throws(
      () => loadPlatformSettings({ env: { ...fullEnv, GENESYS_CLOUD_REGION: undefined } }),
      (error: unknown) => error instanceof ConfigError && /GENESYS_CLOUD_REGION/.test(error.hint ?? ''),
    );
  });

  it('rejects an unknown region from any source', () => {
    assert.throws(
      () => loadPlatformSettings({ env: { ...fullEnv, GENESYS_CLOUD_REGION: 'mars' } }),
      UnknownRegionError,
    );
  });

  it('reports unreadable, malformed and mistyped config files', () => {
    assert.throws(
      () => loadPlatformSettings({ configFile: join(dir, 'absent.yaml'), env: fullEnv }),
      (error: unknown) => error instanceof ConfigError && /absent\.yaml/.test(error.message),
    );
    const broken = file('broken.yaml', 'region: [unclosed\n');
    assert.throws(
      () => loadPlatformSettings({ configFile: broken, env: fullEnv }),
      (error: unknown) => error instanceof ConfigError && /not valid YAML/.test(error.message),
    );
    const mistyped = file('mistyped.yaml', 'clientId: 12345\n');
    assert.throws(
      () => loadPlatformSettings({ configFile: mistyped, env: fullEnv }),
      (error: unknown) => error instanceof ConfigError && /clientId/.test(error.message),
    );
  });
});
