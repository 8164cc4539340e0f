import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createWorld,
  type GroundTruthFact,
  ManualClock,
  type World,
  type WorldSettings,
} from '../../../src/emulator/world/index.js';
import { eventId } from '../../../src/events.js';

// biome-ignore lint/suspicious/noExplicitAny: snapshots are read as plain JSON
type Json = any;
interface Frame {
  topic: string;
  body: Json;
  at: number;
}

const START = Date.UTC(2025, 4, 6, 9, 30, 0);
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MINUTE = 60_000;

/** Runs live traffic for some emulated minutes, advancing the clock in one jump or in steps of `stepMs`. */
function run(settings: Partial<WorldSettings>, emulatedMinutes: number, drainMinutes = 120, stepMs?: number) {
  const clock = new ManualClock(START);
  const frames: Frame[] = [];
  const world = createWorld(
    {
      seed: 99,
      agents: 10,
      queues: 3,
      contacts: 30,
      historyDays: 0,
      timeScale: 60,
      conversationsPerMinute: 4,
      ...settings,
    },
    { publish: (topic, body) => frames.push({ topic, body, at: clock.now() }) },
    clock,
  );
  const scale = world.settings.timeScale;
  world.start();
  const span = (emulatedMinutes * MINUTE) / scale;
  if (stepMs === undefined) clock.advance(span);
  else
    for (let elapsed = 0; elapsed < span; elapsed += stepMs) clock.advance(Math.min(stepMs, span - elapsed));
  world.setTraffic(0);
  clock.advance((drainMinutes * MINUTE) / scale);
  return { world, clock, frames };
}

/** Visits every value of a JSON tree with its key. */
function walk(value: Json, visit: (key: string, value: Json) => void, key = ''): void {
  visit(key, value);
  if (Array.isArray(value)) for (const item of value) walk(item, visit, key);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, visit, k);
}

function comms(participant: Json): Json[] {
  return [
    ...(participant.calls ?? []),
    ...(participant.messages ?? []),
    ...(participant.emails ?? []),
    ...(participant.callbacks ?? []),
  ];
}

/** Frames of each conversation in first-publication order, duplicates removed. */
function byConversation(frames: Frame[]): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  const seen = new Set<string>();
  for (const f of frames) {
    const text = JSON.stringify(f.body);
    if (seen.has(text)) continue;
    seen.add(text);
    const list = out.get(f.body.id) ?? [];
    list.push(f.body);
    out.set(f.body.id, list);
  }
  return out;
}

describe('traffic simulator: determinism', () => {
  it('two worlds with the same seed publish the same frames and the same ground truth', () => {
    const a = run({}, 90);
    const b = run({}, 90);
    assert.ok(a.frames.length > 500, `plenty of traffic (${a.frames.length} frames)`);
    assert.deepEqual(a.world.groundTruth(), b.world.groundTruth());
    assert.equal(a.frames.length, b.frames.length);
    for (let i = 0; i < a.frames.length; i++) {
      assert.equal(a.frames[i]!.topic, b.frames[i]!.topic);
      assert.equal(a.frames[i]!.at, b.frames[i]!.at);
      assert.deepEqual(a.frames[i]!.body, b.frames[i]!.body);
    }
    const c = run({ seed: 100 }, 90);
    assert.notDeepEqual(
      c.world.groundTruth().map((f) => f.id),
      a.world.groundTruth().map((f) => f.id),
    );
  });

  it('ground truth does not depend on how the clock is stepped', () => {
    const coarse = run({}, 45);
    // Odd little steps instead of one big jump.
    const stepped = run({}, 45, 120, 37);
    const horizon = START + (45 * MINUTE) / 60;
    const early = (r: ReturnType<typeof run>) =>
      r.world.groundTruth().filter((f) => Date.parse(f.occurredAt) < horizon);
    assert.ok(early(coarse).length > 50);
    assert.deepEqual(early(stepped), early(coarse));
  });
});

describe('traffic simulator: real clock', () => {
  it('two runs on the system clock record the same facts at the same offsets from their start', async () => {
    const settings = {
      seed: 8,
      agents: 6,
      queues: 2,
      historyDays: 0,
      timeScale: 600,
      conversationsPerMinute: 6,
    };
    const a = createWorld(settings, { publish: () => {} });
    a.start();
    await new Promise((resolve) => setTimeout(resolve, 37));
    const b = createWorld(settings, { publish: () => {} });
    b.start();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    a.stop();
    b.stop();
    const relative = (w: World) => {
      const facts = w.groundTruth();
      const start = Date.parse(facts[0]!.occurredAt);
      return facts.map((f) => ({ id: f.id, type: f.type, offset: Date.parse(f.occurredAt) - start }));
    };
    const ra = relative(a);
    const rb = relative(b);
    // Each world runs its timeline in order, so both are complete up to the smaller of their last offsets.
    const horizon = Math.min(ra.at(-1)!.offset, rb.at(-1)!.offset);
    const before = (list: typeof ra) => list.filter((f) => f.offset < horizon);
    assert.ok(before(ra).length > 30, `enough facts to compare (${before(ra).length})`);
    assert.deepEqual(before(ra), before(rb));
    for (const w of [a, b]) assert.deepEqual(w.errors, []);
  });
});

describe('traffic simulator: ground truth', () => {
  const { world, frames } = run({}, 120);
  const facts = world.groundTruth();

  it('has every lifecycle type, unique ids derived with eventId, ISO times in order', () => {
    const types = new Set(facts.map((f) => f.type));
    for (const t of [
      'conversation.started',
      'participant.joined',
      'participant.left',
      'conversation.transferred',
      'conversation.wrapup',
      'conversation.ended',
    ]) {
      assert.ok(types.has(t as GroundTruthFact['type']), `has ${t}`);
    }
    assert.equal(new Set(facts.map((f) => f.id)).size, facts.length);
    for (const f of facts) {
      assert.match(f.occurredAt, ISO_MS);
      const subject =
        f.type === 'conversation.started' || f.type === 'conversation.ended' ? '' : f.participantId;
      assert.equal(f.id, eventId(f.conversationId, f.type, subject));
      assert.equal(f.origin, 'live');
    }
    for (let i = 1; i < facts.length; i++) assert.ok(facts[i - 1]!.occurredAt <= facts[i]!.occurredAt);
  });

  it('pairs every join with one later leave, every start with one end, every joined agent with one wrap-up', () => {
    const of = (type: string) => facts.filter((f) => f.type === type);
    const left = new Map(of('participant.left').map((f) => [f.participantId, f]));
    const wrapups = new Map(of('conversation.wrapup').map((f) => [f.participantId, f]));
    assert.equal(left.size, of('participant.left').length, 'a leg leaves once');
    for (const joined of of('participant.joined')) {
      const leave = left.get(joined.participantId);
      assert.ok(leave, 'every joined leg leaves');
      assert.ok(leave.occurredAt >= joined.occurredAt);
      assert.ok(joined.userId, 'joins are agent legs with a user');
      const wrap = wrapups.get(joined.participantId);
      assert.ok(wrap, 'every joined agent leg wraps up');
      assert.ok(wrap.wrapupCode && world.org.wrapupCodeById.has(wrap.wrapupCode));
      assert.ok(wrap.afterCallWork === 'complete' || wrap.afterCallWork === 'skipped');
      assert.ok(wrap.occurredAt >= leave.occurredAt);
    }
    assert.equal(of('participant.joined').length, left.size);
    const ended = new Map(of('conversation.ended').map((f) => [f.conversationId, f]));
    assert.equal(of('conversation.started').length, ended.size);
    for (const started of of('conversation.started')) {
      const end = ended.get(started.conversationId);
      assert.ok(end, 'every started conversation ends once drained');
      for (const leave of of('participant.left').filter((f) => f.conversationId === started.conversationId))
        assert.ok(end.occurredAt >= leave.occurredAt, 'the end comes after every leg left');
    }
    assert.ok(of('conversation.wrapup').some((f) => f.afterCallWork === 'skipped'));
    assert.ok(of('conversation.wrapup').some((f) => f.afterCallWork === 'complete'));
  });

  it('describes transfers from the leg that left, to a queue or a user, blind or consult', () => {
    const transfers = facts.filter((f) => f.type === 'conversation.transferred');
    assert.ok(transfers.length > 3);
    for (const t of transfers) {
      assert.ok(t.transferType === 'blind' || t.transferType === 'consult');
      assert.ok(t.to && (t.to.kind === 'queue' ? t.to.queueId : t.to.userId));
      const leave = facts.find((f) => f.type === 'participant.left' && f.participantId === t.participantId);
      assert.ok(leave, 'the transferring leg leaves');
      assert.equal(leave.occurredAt, t.occurredAt);
      assert.match(leave.disconnectType ?? '', /^transfer/);
    }
  });

  it('matches what the snapshots show', () => {
    const conversations = byConversation(frames);
    const started = facts.filter((f) => f.type === 'conversation.started');
    assert.equal(conversations.size, started.length, 'one published conversation per start fact');
    for (const join of facts.filter((f) => f.type === 'participant.joined').slice(0, 50)) {
      const last = conversations.get(join.conversationId)!.at(-1);
      const leg = last.participants.find((p: Json) => p.id === join.participantId);
      assert.equal(leg.connectedTime, join.occurredAt);
      assert.equal(leg.userId, join.userId);
    }
  });

  it('leaves no timer behind once drained and stopped', () => {
    assert.equal(world.activeConversations, 0);
    assert.deepEqual(world.errors, []);
  });
});

describe('traffic simulator: snapshot shape', () => {
  const { world, frames } = run({}, 120);
  const conversations = byConversation(frames);

  it('publishes whole conversations, sparse (never null), with ISO-ms times never in the future', () => {
    for (const frame of frames) {
      assert.ok(frame.body.id && Array.isArray(frame.body.participants));
      assert.ok(Array.isArray(frame.body.recentTransfers));
      assert.ok(
        !('state' in frame.body) && !('startTime' in frame.body),
        'no conversation-level state or times',
      );
      walk(frame.body, (key, value) => {
        assert.notEqual(value, null, `${key} is never null`);
        if (typeof value === 'string' && /Time$|^dateIssued$/.test(key)) {
          assert.match(value, ISO_MS, key);
          assert.ok(Date.parse(value) <= frame.at, `${key} ${value} is not after publication`);
        }
      });
      for (const p of frame.body.participants) {
        assert.ok(!('state' in p), 'no participant-level state');
        for (const key of ['calls', 'messages', 'emails', 'callbacks', 'chats'])
          if (key in p) assert.ok(p[key].length > 0, 'media arrays are absent rather than empty');
        assert.equal(comms(p).length, 1);
      }
    }
  });

  it('never puts wrap-up codes in notifications by default', () => {
    for (const frame of frames) walk(frame.body, (key) => assert.notEqual(key, 'wrapup'));
  });

  it('publishes to the topic of every queue and user involved', () => {
    const topicsOf = new Map<string, Set<string>>();
    for (const f of frames) {
      const key = JSON.stringify(f.body);
      const set = topicsOf.get(key) ?? new Set();
      set.add(f.topic);
      topicsOf.set(key, set);
    }
    for (const [key, topics] of topicsOf) {
      const body = JSON.parse(key);
      for (const p of body.participants) {
        if (p.queueId) assert.ok(topics.has(`v2.routing.queues.${p.queueId}.conversations`));
        if (p.userId) assert.ok(topics.has(`v2.users.${p.userId}.conversations`));
      }
    }
  });

  it('accumulates participants and never moves a leg backwards', () => {
    const rank: Record<string, number> = {
      alerting: 0,
      connected: 1,
      parked: 1,
      disconnected: 2,
      terminated: 3,
    };
    for (const list of conversations.values()) {
      const seen = new Map<string, number>();
      let previous: string[] = [];
      for (const body of list) {
        const ids = body.participants.map((p: Json) => p.id);
        assert.deepEqual(ids.slice(0, previous.length), previous, 'legs are only ever appended');
        previous = ids;
        for (const p of body.participants) {
          const c = comms(p)[0];
          const r = rank[c.state];
          assert.ok(r !== undefined, `known state ${c.state}`);
          assert.ok(r >= (seen.get(c.id) ?? 0), `${c.state} does not go back`);
          seen.set(c.id, r);
          if (p.endTime) assert.ok(c.state === 'disconnected' || c.state === 'terminated');
        }
      }
    }
  });

  it('ends flow and queue legs with transfer in the millisecond the next leg starts', () => {
    let handoffs = 0;
    for (const list of conversations.values()) {
      const last = list.at(-1);
      for (const p of last.participants.filter(
        (x: Json) => x.purpose === 'ivr' || x.purpose === 'workflow',
      )) {
        assert.equal(comms(p)[0].disconnectType, 'transfer');
        assert.ok(
          last.participants.some((q: Json) => q.purpose === 'acd' && q.connectedTime === p.endTime),
          'an acd leg connects in the same millisecond',
        );
        handoffs++;
      }
      for (const p of last.participants.filter(
        (x: Json) => x.purpose === 'acd' && comms(x)[0].disconnectType === 'transfer',
      )) {
        assert.ok(
          last.participants.some((q: Json) => q.purpose === 'agent' && q.connectedTime === p.endTime),
        );
      }
    }
    assert.ok(handoffs > 20);
  });

  it('shows missed offers, after-call work, calls going disconnected then terminated, and duplicates', () => {
    let missed = 0;
    let terminatedLater = 0;
    const acwStates = new Set<string>();
    for (const list of conversations.values()) {
      const disconnectedAt = new Map<string, number>();
      list.forEach((body, index) => {
        for (const p of body.participants) {
          const c = comms(p)[0];
          if (c.afterCallWork) acwStates.add(c.afterCallWork.state);
          if (c.state === 'disconnected' && !disconnectedAt.has(c.id)) disconnectedAt.set(c.id, index);
          if (c.state === 'terminated' && (disconnectedAt.get(c.id) ?? index) < index) terminatedLater++;
        }
      });
      for (const p of list.at(-1).participants) {
        if (p.purpose === 'agent' && p.endTime && !p.connectedTime) {
          missed++;
          assert.ok(['client', 'system'].includes(comms(p)[0].disconnectType));
          assert.ok(!p.startAcwTime, 'a missed offer has no after-call work');
        }
      }
    }
    assert.ok(missed > 3, `missed offers (${missed})`);
    assert.ok(terminatedLater > 3);
    assert.deepEqual([...acwStates].sort(), ['complete', 'pending', 'skipped']);
    const firstSeen = new Map<string, number>();
    const repeatGaps: number[] = [];
    for (const f of frames) {
      const key = `${f.topic} ${JSON.stringify(f.body)}`;
      const first = firstSeen.get(key);
      if (first === undefined) firstSeen.set(key, f.at);
      else repeatGaps.push(f.at - first);
    }
    // Duplicates come 150 ms later; other repeats are real returns to an earlier picture (hold, then unhold).
    assert.ok(repeatGaps.filter((gap) => gap === 150).length > 10, 'identical snapshots are published again');
  });

  it('keeps the wrap-up code for GET /api/v2/conversations/{id}', () => {
    const id = [...conversations.keys()][0]!;
    const conversation = world.conversations.get(id)!;
    const agents = conversation.participants.filter(
      (p) => p.purpose === 'agent' && p.connectedTime !== undefined,
    );
    assert.ok(agents.length > 0);
    for (const a of agents) assert.ok(a.wrapup?.code);
  });
});

describe('traffic simulator: options', () => {
  it('puts wrap-up into notifications when asked', () => {
    const { frames } = run({ wrapupInNotifications: true }, 30);
    const withCode = frames.filter((f) => f.body.participants.some((p: Json) => p.wrapup?.code));
    assert.ok(withCode.length > 0);
  });

  it('compresses time by timeScale', () => {
    for (const timeScale of [1, 60]) {
      const clock = new ManualClock(START);
      const world = createWorld(
        { seed: 5, historyDays: 0, timeScale, agents: 6, queues: 2 },
        { publish: () => {} },
        clock,
      );
      const { conversationId } = world.startScriptedConversation({
        kind: 'voice',
        durationMs: 300_000,
        transfer: 'none',
        missedAlert: false,
      });
      clock.advance(3 * 3_600_000);
      const c = world.conversations.get(conversationId)!;
      const span = c.endTime! - c.startTime;
      // Flow, queue wait and answer add at most about two minutes of emulated time to the five of handling.
      assert.ok(span >= 300_000 / timeScale && span <= 420_000 / timeScale, `span ${span} at ${timeScale}`);
    }
  });

  it('stops arrivals with setTraffic(0) and all timers with stop()', () => {
    const clock = new ManualClock(START);
    const world: World = createWorld(
      { seed: 3, historyDays: 0, timeScale: 60, conversationsPerMinute: 6, agents: 6, queues: 2 },
      { publish: () => {} },
      clock,
    );
    world.start();
    clock.advance(30_000);
    world.setTraffic(0);
    const started = () => world.groundTruth().filter((f) => f.type === 'conversation.started').length;
    const before = started();
    assert.ok(before > 5);
    clock.advance(120_000);
    assert.equal(started(), before);
    world.setTraffic(12);
    clock.advance(30_000);
    assert.ok(started() > before + 10, 'traffic resumes at the new rate');
    world.stop();
    assert.equal(clock.pendingTimers, 0);
    assert.throws(() => world.setTraffic(-1), /conversationsPerMinute/);
  });

  it('bursts exactly n realistic notifications, all in the past, recorded as ground truth', () => {
    const clock = new ManualClock(START);
    const frames: Frame[] = [];
    const world = createWorld(
      { seed: 4, historyDays: 0 },
      { publish: (topic, body) => frames.push({ topic, body, at: clock.now() }) },
      clock,
    );
    world.burst(2500);
    assert.equal(frames.length, 2500);
    for (const f of frames.slice(0, 300)) {
      assert.match(f.topic, /^v2\.(routing\.queues|users)\.[0-9a-f-]{36}\.conversations$/);
      walk(f.body, (key, value) => {
        if (typeof value === 'string' && key.endsWith('Time')) assert.ok(Date.parse(value) <= START);
      });
    }
    const facts = world.groundTruth();
    assert.ok(facts.length > 200);
    assert.ok(facts.every((f) => f.origin === 'burst'));
    assert.equal(clock.pendingTimers, 0, 'a burst leaves nothing scheduled');
  });
});

describe('traffic simulator: scripted conversations', () => {
  function scripted(script: Parameters<World['startScriptedConversation']>[0]) {
    const clock = new ManualClock(START);
    const frames: Frame[] = [];
    const world = createWorld(
      { seed: 21, historyDays: 0, timeScale: 60, agents: 8, queues: 3 },
      { publish: (topic, body) => frames.push({ topic, body, at: clock.now() }) },
      clock,
    );
    const { conversationId } = world.startScriptedConversation(script);
    // Nothing is published before the conversation reaches a queue (no topic names it yet), but it exists.
    assert.ok(world.conversations.get(conversationId), 'the conversation exists before the call returns');
    clock.advance(3_600_000);
    return { world, frames: byConversation(frames).get(conversationId)!, conversationId };
  }

  it('runs a returning web messaging customer with the requested queue, agent and code; parks and resumes', () => {
    const probe = createWorld(
      { seed: 21, historyDays: 0, agents: 8, queues: 3 },
      { publish: () => {} },
      new ManualClock(START),
    );
    const contactId = probe.org.returningWebMessagingContactIds[0]!;
    const queue = probe.org.queues[1]!;
    const userId = queue.memberIds[0]!;
    const code = probe.org.wrapupCodes[2]!.id;
    const { world, frames, conversationId } = scripted({
      kind: 'webmessaging',
      externalContactId: contactId,
      queueId: queue.id,
      userId,
      wrapupCode: code,
      transfer: 'none',
      missedAlert: false,
      park: true,
      afterCallWork: 'complete',
    });
    const last = frames.at(-1);
    const customer = last.participants.find((p: Json) => p.purpose === 'customer');
    assert.equal(customer.externalContactId, contactId);
    assert.equal(customer.messages[0].type, 'webmessaging');
    const agent = last.participants.find((p: Json) => p.purpose === 'agent');
    assert.equal(agent.userId, userId);
    assert.equal(agent.queueId, queue.id);
    assert.ok(frames.some((b) => b.participants.some((p: Json) => p.messages?.[0].state === 'parked')));
    assert.ok(agent.messages[0].parkTime && agent.messages[0].resumeTime);
    const wrap = world.groundTruth().find((f) => f.type === 'conversation.wrapup');
    assert.equal(wrap?.wrapupCode, code);
    assert.equal(
      world.conversations.get(conversationId)!.participants.find((p) => p.userId === userId)!.wrapup?.code,
      code,
    );
    assert.ok(world.groundTruth().every((f) => f.origin === 'scripted'));
  });

  it('shows a consult transfer: held initiator, confined customer, consultParticipantId and consultInitiator', () => {
    const { world, frames } = scripted({ kind: 'voice', transfer: 'consult-user', missedAlert: false });
    const during = frames.find((b) => b.participants.some((p: Json) => p.calls[0].held === true));
    assert.ok(during, 'a frame shows the initiator on hold');
    const customer = during.participants.find((p: Json) => p.purpose === 'customer');
    assert.equal(customer.calls[0].confined, true);
    const initiator = during.participants.find((p: Json) => p.calls[0].held);
    assert.equal(initiator.consultParticipantId, customer.id);
    assert.equal(initiator.attributes.consultInitiator, 'true');
    assert.ok(initiator.calls[0].startHoldTime);
    const last = frames.at(-1);
    assert.equal(last.recentTransfers.length, 1);
    assert.equal(last.recentTransfers[0].transferType, 'attended');
    const transfer = world.groundTruth().find((f) => f.type === 'conversation.transferred');
    assert.equal(transfer?.transferType, 'consult');
    assert.equal(transfer?.participantId, initiator.id);
    assert.equal(transfer?.to?.kind, 'user');
  });

  it('shows a blind queue transfer as the agent leaving with transfer and a new acd leg at once', () => {
    const { world, frames } = scripted({ kind: 'email', transfer: 'blind-queue', missedAlert: false });
    const last = frames.at(-1);
    const agents = last.participants.filter((p: Json) => p.purpose === 'agent' && p.connectedTime);
    assert.equal(agents.length, 2, 'several agent legs after a transfer');
    const first = agents[0];
    assert.equal(first.emails[0].disconnectType, 'transfer');
    const acds = last.participants.filter((p: Json) => p.purpose === 'acd');
    assert.equal(acds.length, 2);
    assert.equal(acds[1].connectedTime, first.endTime);
    assert.equal(last.recentTransfers[0].transferType, 'unattended');
    const transfer = world.groundTruth().find((f) => f.type === 'conversation.transferred');
    assert.deepEqual(transfer?.to, { kind: 'queue', queueId: acds[1].queueId, participantId: acds[1].id });
  });

  it('refuses scripts that do not fit the org', () => {
    const world = createWorld({ seed: 1, historyDays: 0 }, { publish: () => {} }, new ManualClock(START));
    assert.throws(() => world.startScriptedConversation({ kind: 'fax' as never }), /kind must be one of/);
    assert.throws(
      () => world.startScriptedConversation({ kind: 'webmessaging', externalContactId: 'nobody' }),
      /not a contact/,
    );
    assert.throws(() => world.startScriptedConversation({ kind: 'voice', durationMs: 5 }), /durationMs/);
  });
});
