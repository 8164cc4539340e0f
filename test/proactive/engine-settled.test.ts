import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LifecycleEvent } from '../../src/events.js';
import { ProactiveEngine, type RuleInput } from '../../src/proactive/index.js';
import type { LedgerStore } from '../../src/store/index.js';
import {
  eventsOf,
  type Harness,
  returningContacts,
  scriptConversation,
  startHarness,
  testRules,
} from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.stop());

function wrapupRule(id: string): RuleInput {
  const code = h.emulator.world!.org.wrapupCodes[0]!;
  return {
    id,
    trigger: {
      event: 'conversation.wrapup',
      mediaType: 'message',
      messageType: 'webmessaging',
      wrapupCode: code.name,
    },
    history: { minConversations: 1, withinDays: 30 },
    channels: ['open', 'sms'],
    message: { text: 'Thanks for chatting with us again.' },
    policy: { quietHours: false, dailyCap: 10 },
  };
}

async function conversationEvents(contactIndex: number): Promise<LifecycleEvent[]> {
  const contact = returningContacts(h.emulator).reachable[contactIndex]!;
  const conversationId = await scriptConversation(h.emulator, {
    kind: 'webmessaging',
    externalContactId: contact.id,
    wrapupCode: h.emulator.world!.org.wrapupCodes[0]!.id,
  });
  return eventsOf(h.emulator, conversationId);
}

/** Yields the events, then stays open until the engine stops reading (as a live source would). */
async function* live(events: LifecycleEvent[], signal: AbortSignal): AsyncGenerator<LifecycleEvent> {
  yield* events;
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

interface Settled {
  event: LifecycleEvent;
  error: unknown;
  withError: boolean;
}

async function runUntilSettled(engine: ProactiveEngine, events: LifecycleEvent[]): Promise<Settled[]> {
  const settled: Settled[] = [];
  const stop = new AbortController();
  const timeout = setTimeout(() => stop.abort(), 15_000);
  const running = engine.run({
    events: live(events, stop.signal),
    signal: stop.signal,
    onEventSettled: (event, ...rest) => {
      settled.push({ event, error: rest[0], withError: rest.length > 0 });
      if (settled.length === events.length) stop.abort();
    },
  });
  await running;
  clearTimeout(timeout);
  return settled;
}

describe('proactive engine run(): onEventSettled', () => {
  it('settles every event once, after the decisions it caused are in the ledger', async () => {
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([wrapupRule('settle-ok')]),
      client: h.client,
      ledger,
    });
    const events = await conversationEvents(2);
    const recordedAtSettle = new Map<string, number>();
    const settled: Settled[] = [];
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 15_000);
    const checks: Promise<void>[] = [];
    await engine.run({
      events: live(events, stop.signal),
      signal: stop.signal,
      onEventSettled: (event, ...rest) => {
        settled.push({ event, error: rest[0], withError: rest.length > 0 });
        // Read the ledger right away: what the event decided must already be there.
        checks.push(
          ledger.list({ ruleId: 'settle-ok' }).then((entries) => {
            recordedAtSettle.set(event.id, entries.length);
          }),
        );
        if (settled.length === events.length) stop.abort();
      },
    });
    clearTimeout(timeout);
    await Promise.all(checks);

    assert.equal(settled.length, events.length, 'one settle per event');
    assert.deepEqual(
      settled.map((s) => s.event.id).sort(),
      events.map((e) => e.id).sort(),
      'every event settled exactly once',
    );
    assert.ok(
      settled.every((s) => !s.withError),
      'no event reported an error',
    );
    const wrapup = events.find((e) => e.type === 'conversation.wrapup')!;
    assert.equal(recordedAtSettle.get(wrapup.id), 1, 'the wrap-up decision was recorded before its settle');
  });

  it('passes the error when handling an event failed, and keeps running', async () => {
    const { ledger } = h.openLedger();
    // A ledger that went down after start-up: listing still works, every decision fails to record.
    const reads = new Set<PropertyKey>(['listInDoubt', 'listDue']);
    const broken = new Proxy(ledger, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (reads.has(property)) return value.bind(target);
        return () => Promise.reject(new Error('ledger unavailable'));
      },
    }) as LedgerStore;
    const engine = new ProactiveEngine({
      rules: testRules([wrapupRule('settle-fail')]),
      client: h.client,
      ledger: broken,
    });
    const events = await conversationEvents(3);
    const settled = await runUntilSettled(engine, events);

    assert.equal(settled.length, events.length, 'every event settled, failed or not');
    const failed = settled.filter((s) => s.withError);
    assert.deepEqual(
      failed.map((s) => s.event.type),
      ['conversation.wrapup'],
      'only the event whose rule needed the ledger failed',
    );
    assert.match((failed[0]!.error as Error).message, /ledger unavailable/);
  });

  it('survives a throwing onEventSettled callback', async () => {
    const { ledger } = h.openLedger();
    const engine = new ProactiveEngine({
      rules: testRules([wrapupRule('settle-throw')]),
      client: h.client,
      ledger,
    });
    const events = await conversationEvents(4);
    let calls = 0;
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 15_000);
    await engine.run({
      events: live(events, stop.signal),
      signal: stop.signal,
      onEventSettled: () => {
        calls += 1;
        if (calls === events.length) stop.abort();
        throw new Error('ack failed');
      },
    });
    clearTimeout(timeout);
    assert.equal(calls, events.length, 'called for every event despite throwing');
    assert.equal(
      (await ledger.list({ ruleId: 'settle-throw' })).length,
      1,
      'the decision was still recorded',
    );
  });
});
