import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSink } from '../../src/service/summary.js';

describe('describeSink (the start-up summary)', () => {
  it('names each kind of unnamed sink by what it is, without credentials or query', () => {
    assert.equal(describeSink({ kind: 'stdout' }), 'stdout');
    assert.equal(describeSink({ kind: 'file', path: '/var/events.jsonl' }), 'file /var/events.jsonl');
    assert.equal(
      describeSink({ kind: 'webhook', url: 'https://user:pw@hooks.test/in?token=t', secret: 's' }),
      'webhook https://hooks.test/in',
    );
    assert.equal(
      describeSink({ kind: 'nats', url: 'nats://svc:hunter2@bus.internal:4222' }),
      'nats:bus.internal:4222/SWITCHBOARD_EVENTS',
    );
    assert.equal(
      describeSink({ kind: 'nats', url: 'nats://127.0.0.1:4222', stream: 'EVENTS' }),
      'nats:127.0.0.1:4222/EVENTS',
    );
  });

  it('uses the name a sink was given', () => {
    assert.equal(describeSink({ kind: 'nats', url: 'nats://127.0.0.1:4222', name: 'bus' }), 'bus');
    assert.equal(describeSink({ kind: 'file', path: './e.jsonl', name: 'audit' }), 'audit');
  });
});
