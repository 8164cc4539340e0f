import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { linkSignals } from '../../src/platform/linked-signal.js';

describe('linkSignals', () => {
  it('aborts with the reason of whichever source aborts', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals([a.signal, undefined, b.signal]);
    assert.equal(linked.signal.aborted, false);
    b.abort(new Error('b went'));
    assert.equal(linked.signal.aborted, true);
    assert.match(String(linked.signal.reason), /b went/);
    assert.equal(getEventListeners(a.signal, 'abort').length, 0, 'detached from the other source');
  });

  it('starts aborted when a source already is, and can abort itself', () => {
    const done = new AbortController();
    done.abort('early');
    assert.equal(linkSignals([done.signal]).signal.reason, 'early');
    const own = linkSignals([new AbortController().signal]);
    own.abort('timeout');
    assert.equal(own.signal.reason, 'timeout');
  });

  it('leaves nothing attached to a long-lived source once disposed', () => {
    const longLived = new AbortController();
    for (let i = 0; i < 10_000; i++) linkSignals([longLived.signal]).dispose();
    assert.equal(getEventListeners(longLived.signal, 'abort').length, 0);
    const linked = linkSignals([longLived.signal]);
    linked.dispose();
    longLived.abort();
    assert.equal(linked.signal.aborted, false, 'a disposed link no longer follows its source');
  });
});
