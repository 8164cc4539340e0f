import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { parseServiceConfig } from '../../src/service/config.js';

const env = {
  GENESYS_CLOUD_REGION: 'mypurecloud.ie',
  GENESYS_CLOUD_CLIENT_ID: 'client-from-env',
  GENESYS_CLOUD_CLIENT_SECRET: 'secret-from-env',
  REPLICA: 'replica-7',
};
const parse = (text: string) => parseServiceConfig(text, { env, file: '/srv/sb/switchboard.yaml' });

describe('service config of a replica', () => {
  it('keeps the embedded default without a bus', () => {
    const config = parse('{}');
    assert.equal(config.bus, undefined);
    assert.equal(config.cluster, undefined);
    assert.equal(config.store.path, '/srv/sb/switchboard.db');
  });

  it('takes the engines as URLs and fills the cluster defaults', () => {
    const config = parse(
      'store: postgres://switchboard@db:5432/sb\nbus: nats://nats:4222\ncluster: { replicaId: env:REPLICA }',
    );
    assert.equal(config.store.path, 'postgres://switchboard@db:5432/sb', 'a URL is not made relative');
    assert.deepEqual(config.bus, {
      url: 'nats://nats:4222',
      stream: 'SWITCHBOARD_EVENTS',
      subjectPrefix: 'switchboard.events',
      duplicateWindowMs: 600_000,
      durable: 'switchboard-proactive',
      outboxCapacity: 50_000,
    });
    assert.deepEqual(config.cluster, {
      replicaId: 'replica-7',
      shards: 4,
      spareChannels: 2,
      leaseTtlMs: 15_000,
      bucket: 'switchboard',
    });
  });

  it('reads the bus object form with durations', () => {
    const config = parse(
      'bus: { url: nats://n:4222, stream: EV, subjectPrefix: ev, duplicateWindow: 30m }\ncluster: { shards: 8, leaseTtl: 5s }',
    );
    assert.equal(config.bus?.stream, 'EV');
    assert.equal(config.bus?.duplicateWindowMs, 1_800_000);
    assert.equal(config.cluster?.shards, 8);
    assert.equal(config.cluster?.leaseTtlMs, 5000);
  });

  it('refuses a cluster section without a bus, and a shard count past the channel limit', () => {
    assert.throws(
      () => parse('cluster: { shards: 4 }'),
      (error: unknown) => error instanceof ConfigError && /no bus/.test(error.message),
    );
    assert.throws(() => parse('bus: nats://n:4222\ncluster: { shards: 25 }'), ConfigError);
    assert.throws(
      () => parse('bus: nats://n:4222\ncluster: { shards: 18, spareChannels: 3 }'),
      (error: unknown) => error instanceof ConfigError && /exceeds the platform/.test(error.message),
    );
  });
});
