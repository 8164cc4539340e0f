/**
 * The NATS sink's side of fencing: what the stamp hook refuses is not published, is counted, and is logged by its
 * ids and the hook's reason — once per burst, and again whenever the reason changes, so an event refused because
 * nothing vouches for it is never hidden in a burst of events refused for a lost lease.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createNatsSink, type PublishStamp } from '../../src/sinks/index.js';
import {
  conversationId,
  deleteStreams,
  eventOf,
  readStream,
  testBus,
  uniqueName,
  uniquePrefix,
} from '../bus/helpers.js';
import { captureLogger } from './helpers.js';

describe('NATS sink fencing reasons', () => {
  let bus: Bus;
  const streams: string[] = [];
  before(async () => {
    bus = await testBus();
  });
  after(async () => {
    await deleteStreams(bus, ...streams);
    await bus.close();
  });

  it('logs each reason of refusal with the ids of the first event refused for it', async () => {
    const stream = uniqueName('fence_reason');
    streams.push(stream);
    const { logger, records } = captureLogger('info');
    const decisions = new Map<string, PublishStamp>();
    const sink = createNatsSink(
      {
        kind: 'nats',
        url: bus.description,
        stream,
        subjectPrefix: uniquePrefix('fence_reason'),
        retry: { initialDelayMs: 50, maxDelayMs: 500 },
      },
      { bus, logger, now: () => 0, stamp: (event) => decisions.get(event.id) ?? { allowed: true } },
    );
    try {
      // One conversation, so the events reach the hook in the order written.
      const conversation = conversationId();
      const [lost1, lost2, unattributed, lost3, published] = Array.from({ length: 5 }, () =>
        eventOf(conversation),
      ) as [LifecycleEvent, LifecycleEvent, LifecycleEvent, LifecycleEvent, LifecycleEvent];
      for (const event of [lost1, lost2, lost3])
        decisions.set(event.id, { allowed: false, reason: 'lease lost' });
      decisions.set(unattributed.id, { allowed: false, reason: 'no recorded origin' });
      for (const event of [lost1, lost2, unattributed, lost3, published]) sink.write(event);
      assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);

      assert.deepEqual(
        (await readStream(bus, stream)).map((message) => message.json<LifecycleEvent>().id),
        [published.id],
        'only the event the hook allowed',
      );
      assert.deepEqual(sink.publishStats(), { published: 1, duplicates: 0, fenced: 4 });
      const lines = records()
        .filter((record) => String(record.msg).startsWith('not publishing events'))
        .map(({ reason, eventId, previousBurst }) => ({ reason, eventId, previousBurst }));
      assert.deepEqual(
        lines,
        [
          { reason: 'lease lost', eventId: lost1.id, previousBurst: undefined },
          { reason: 'no recorded origin', eventId: unattributed.id, previousBurst: 2 },
          { reason: 'lease lost', eventId: lost3.id, previousBurst: 1 },
        ],
        'a line when refusals start and whenever their reason changes, all within one burst',
      );
    } finally {
      await sink.close({ timeoutMs: 2_000 });
    }
  });
});
