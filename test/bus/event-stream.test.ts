import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Bus,
  busSubject,
  conversationFilter,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_AGE_MS,
  ensureEventStream,
  eventTypeToken,
  typeFilter,
} from '../../src/bus/index.js';
import { ConfigError } from '../../src/errors.js';
import { LIFECYCLE_EVENT_TYPES } from '../../src/events.js';
import { deleteStreams, testBus, uniqueName, uniquePrefix } from './helpers.js';

describe('event subjects', () => {
  it('puts the type in one token and the conversation last', () => {
    const id = 'c0ffee00-0000-4000-8000-000000000001';
    assert.equal(
      busSubject('switchboard.events', { type: 'conversation.started', conversationId: id }),
      `switchboard.events.started.${id}`,
    );
    assert.equal(
      busSubject('switchboard.events', { type: 'participant.joined', conversationId: id }),
      `switchboard.events.participant-joined.${id}`,
    );
    assert.equal(typeFilter('switchboard.events', 'conversation.ended'), 'switchboard.events.ended.*');
    assert.equal(conversationFilter('switchboard.events', id), `switchboard.events.*.${id}`);
    const tokens = LIFECYCLE_EVENT_TYPES.map(eventTypeToken);
    assert.equal(new Set(tokens).size, tokens.length, 'every type has its own token');
    assert.ok(
      tokens.every((token) => /^[a-z-]+$/.test(token)),
      'tokens hold no dots or wildcards',
    );
    assert.equal(busSubject('p', { type: 'conversation.ended', conversationId: 'a.b*c' }), 'p.ended.a_b_c');
  });
});

describe('ensureEventStream', () => {
  let bus: Bus;
  const streams: string[] = [];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  it('creates the stream with file storage and the default windows, then finds it again', async () => {
    const stream = uniqueName('create');
    const prefix = uniquePrefix('create');
    streams.push(stream);
    const first = await ensureEventStream(bus, { stream, subjectPrefix: prefix });
    assert.equal(first.created, true);
    assert.deepEqual(first.subjects, [`${prefix}.>`]);
    assert.equal(first.duplicateWindowMs, DEFAULT_DUPLICATE_WINDOW_MS);
    assert.equal(first.maxAgeMs, DEFAULT_MAX_AGE_MS);
    const info = await bus.manager.streams.info(stream);
    assert.equal(info.config.storage, 'file');
    assert.equal(info.config.retention, 'limits');

    const again = await ensureEventStream(bus, { stream, subjectPrefix: prefix });
    assert.equal(again.created, false);
    assert.equal(again.updated, false);
  });

  it('applies settings given for an existing stream and keeps those left out', async () => {
    const stream = uniqueName('update');
    const prefix = uniquePrefix('update');
    streams.push(stream);
    await ensureEventStream(bus, { stream, subjectPrefix: prefix, maxAgeMs: 3_600_000 });
    const updated = await ensureEventStream(bus, {
      stream,
      subjectPrefix: prefix,
      duplicateWindowMs: 120_000,
    });
    assert.equal(updated.updated, true);
    assert.equal(updated.duplicateWindowMs, 120_000);
    assert.equal(updated.maxAgeMs, 3_600_000, 'the max age set before is kept');
  });

  it('refuses a stream of that name with other subjects, clearly', async () => {
    const stream = uniqueName('other');
    streams.push(stream);
    const otherPrefix = uniquePrefix('other');
    await bus.manager.streams.add({ name: stream, subjects: [`${otherPrefix}.orders.>`] });
    await assert.rejects(
      ensureEventStream(bus, { stream, subjectPrefix: uniquePrefix('mine') }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, 'a ConfigError');
        assert.match(
          error.message,
          new RegExp(`stream ${stream} exists with subjects ${otherPrefix}\\.orders\\.>`),
        );
        assert.match(error.hint ?? '', /another stream name/);
        return true;
      },
    );
  });

  it('refuses bad names before asking the server', async () => {
    await assert.rejects(ensureEventStream(bus, { stream: 'has.dot' }), ConfigError);
    await assert.rejects(
      ensureEventStream(bus, { stream: uniqueName('x'), subjectPrefix: 'a.*' }),
      ConfigError,
    );
    await assert.rejects(
      ensureEventStream(bus, { stream: uniqueName('x'), duplicateWindowMs: 0 }),
      ConfigError,
    );
  });
});
