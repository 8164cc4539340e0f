/**
 * The planner: turns a (partly random) script into the timed steps of one conversation — flow, queue, offers
 * (some missed), answer, conversation, transfers, disconnect, after-call work. All random choices are made here,
 * from the conversation's own random stream, so a plan depends only on the seed and the script.
 */
import type { LifecycleEventType } from '../../events.js';
import { agentLine, chooseContact, customerLeg, customerLine, flowLeg, VOICE_DNIS } from './customers.js';
import type { FactDetail } from './ground-truth.js';
import {
  addLeg,
  completeAcw,
  connectLeg,
  disconnectLeg,
  holdLeg,
  type LegSpec,
  newConversation,
  type Origin,
  parkLeg,
  resumeLeg,
  type SimConversation,
  type SimParticipant,
  skipAcw,
  startAcw,
  terminateLeg,
  unholdLeg,
} from './model.js';
import type { Org, OrgQueue, OrgWrapupCode } from './org.js';
import type { Random } from './random.js';
import type { ConversationScript, TransferKind } from './script.js';

/** What a step can do besides changing the conversation. */
export interface StepContext {
  /** The step's time (epoch ms). */
  readonly now: number;
  readonly conversation: SimConversation;
  fact(type: LifecycleEventType, subject?: SimParticipant, detail?: FactDetail): void;
  /** Adds a message on a leg (inbound on the customer's, outbound on an agent's). */
  message(leg: SimParticipant, direction: 'inbound' | 'outbound', text: string, messageId: string): void;
}

export interface Step {
  /** Emulated milliseconds after the conversation starts. */
  at: number;
  run(ctx: StepContext): void;
}

export interface Plan {
  conversation: SimConversation;
  /** Sorted by `at`; steps at the same time keep their causal order. */
  steps: Step[];
}

/** How long (ms) the platform lets an offer ring before it times out (disconnect type `system`). */
const ALERT_TIMEOUT_MS = 15_000;

const HANDLE_SECONDS: Record<SimConversation['media'], [number, number]> = {
  voice: [60, 600],
  message: [120, 900],
  email: [120, 480],
  callback: [60, 400],
};

/** Plans one conversation. `script` fields that are set are obeyed; the rest is drawn from `rng`. */
export function planConversation(rng: Random, org: Org, script: ConversationScript, origin: Origin): Plan {
  return new Planner(rng, org, script, origin).plan();
}

class Planner {
  private readonly steps: { at: number; seq: number; run: (ctx: StepContext) => void }[] = [];
  /** Agent leg id → user id, known at planning time (legs only exist once their step runs). */
  private readonly userOfLeg = new Map<string, string>();
  private readonly conversation: SimConversation;
  private readonly code: () => OrgWrapupCode;
  private readonly acwMode: () => 'complete' | 'skipped';

  constructor(
    private readonly rng: Random,
    private readonly org: Org,
    private readonly script: ConversationScript,
    origin: Origin,
  ) {
    this.conversation = newConversation(rng.uuid(), script.kind, origin, org.division.id);
    const fixedCode = script.wrapupCode ? org.wrapupCodeById.get(script.wrapupCode) : undefined;
    this.code = () => fixedCode ?? rng.pick(org.wrapupCodes);
    this.acwMode = () => script.afterCallWork ?? (rng.chance(0.12) ? 'skipped' : 'complete');
  }

  private at(t: number, run: (ctx: StepContext) => void): void {
    this.steps.push({ at: Math.max(0, Math.round(t)), seq: this.steps.length, run });
  }

  private ids(): { id: string; commId: string } {
    return { id: this.rng.uuid(), commId: this.rng.uuid() };
  }

  private leg(id: string): SimParticipant {
    const found = this.conversation.participants.find((p) => p.id === id);
    if (!found) throw new Error(`Plan step refers to leg ${id} before it exists`);
    return found;
  }

  private get isMessage(): boolean {
    return this.conversation.media === 'message';
  }

  private get isCall(): boolean {
    return this.conversation.media === 'voice' || this.conversation.media === 'callback';
  }

  plan(): Plan {
    const { rng, org, script, conversation } = this;
    const requested = script.externalContactId ? org.contactById.get(script.externalContactId) : undefined;
    const contact = chooseContact(rng, org, script.kind, requested, script.anonymous);
    const customer = customerLeg(rng, org, script.kind, contact, this.ids());
    if (script.kind === 'voice') conversation.address = `tel:${VOICE_DNIS}`;
    const flow = flowLeg(script.kind, this.ids());
    const firstQueue = this.firstQueue();
    const acd = this.acdSpec(firstQueue);
    const opening = customerLine(rng);
    const openingId = rng.uuid();

    this.at(0, (ctx) => {
      const c = addLeg(conversation, customer, ctx.now);
      if (flow) addLeg(conversation, flow, ctx.now);
      else addLeg(conversation, acd, ctx.now);
      ctx.fact('conversation.started', c);
      if (this.isMessage) ctx.message(c, 'inbound', opening, openingId);
    });
    let t = 0;
    if (flow) {
      t += script.kind === 'voice' ? rng.seconds(8, 45) : rng.seconds(1, 6);
      this.at(t, (ctx) => {
        disconnectLeg(this.leg(flow.id), ctx.now, 'transfer');
        addLeg(conversation, acd, ctx.now);
      });
    }

    const first = this.route(t, acd.id, firstQueue, {
      userId: script.userId,
      missed: script.missedAlert,
      exclude: new Set(),
    });
    t = first.t;
    const [lo, hi] = HANDLE_SECONDS[conversation.media];
    const handling = script.durationMs ?? rng.seconds(lo, hi);
    const transfer = this.transferKind();
    let agentId = first.agentId;
    if (transfer === 'none') {
      t = this.converse(t, agentId, customer.id, handling, script.park ?? rng.chance(0.15));
    } else {
      t = this.converse(t, agentId, customer.id, handling * 0.4, false);
      const after = this.transfer(t, transfer, agentId, customer.id, firstQueue);
      agentId = after.agentId;
      t = this.converse(after.t, agentId, customer.id, handling * 0.6, script.park ?? false);
    }
    this.finish(t, agentId, customer.id);

    this.steps.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return { conversation, steps: this.steps.map(({ at, run }) => ({ at, run })) };
  }

  private firstQueue(): OrgQueue {
    const { script, org, rng } = this;
    if (script.queueId) return org.queueById.get(script.queueId)!;
    if (script.userId) return org.queueById.get(rng.pick(org.userById.get(script.userId)!.queueIds))!;
    return rng.pick(org.queues);
  }

  private transferKind(): TransferKind {
    const { script, rng, org } = this;
    if (script.transfer) return script.transfer;
    if (!rng.chance(0.18) || org.users.length < 2) return 'none';
    const kind = rng.weighted<TransferKind>([
      ['blind-queue', 4],
      ['blind-user', 2],
      ['consult-queue', 1.5],
      ['consult-user', 2.5],
    ]);
    return org.queues.length < 2 && kind.endsWith('queue') ? 'blind-user' : kind;
  }

  private acdSpec(queue: OrgQueue): LegSpec {
    return {
      ...this.ids(),
      purpose: 'acd',
      state: 'connected',
      direction: 'inbound',
      name: queue.name,
      queueId: queue.id,
    };
  }

  private agentSpec(userId: string, queueId: string | undefined): LegSpec {
    const spec: LegSpec = {
      ...this.ids(),
      purpose: 'agent',
      state: 'alerting',
      direction: this.conversation.originatingDirection,
      name: this.org.userById.get(userId)!.name,
      userId,
    };
    if (queueId) spec.queueId = queueId;
    this.userOfLeg.set(spec.id, userId);
    return spec;
  }

  /** An agent from the queue, avoiding those already tried; any other user when the queue has run out. */
  private pickAgent(queue: OrgQueue, tried: ReadonlySet<string>): string {
    const free = queue.memberIds.filter((id) => !tried.has(id));
    if (free.length > 0) return this.rng.pick(free);
    const others = this.org.users.filter((u) => !tried.has(u.id));
    return others.length > 0 ? this.rng.pick(others).id : this.rng.pick(queue.memberIds);
  }

  /**
   * Offers the conversation waiting on `acdId` to agents of `queue` until one answers; offers can be declined
   * (`client`) or time out (`system`). Returns the answering leg and the time it connected.
   */
  private route(
    start: number,
    acdId: string,
    queue: OrgQueue,
    opts: {
      userId?: string | undefined;
      missed?: boolean | undefined;
      exclude: Set<string>;
      consultOf?: string;
    },
  ): { agentId: string; t: number } {
    const { rng } = this;
    let misses =
      opts.missed === undefined
        ? (rng.chance(0.15) ? 1 : 0) + (rng.chance(0.03) ? 1 : 0)
        : opts.missed
          ? 1
          : 0;
    const tried = new Set(opts.exclude);
    if (opts.userId) tried.add(opts.userId);
    let t = start;
    for (let attempt = 0; ; attempt++) {
      t += attempt === 0 ? rng.seconds(3, 60) : rng.seconds(1, 8);
      const missing = misses > 0;
      const userId = !missing && opts.userId ? opts.userId : this.pickAgent(queue, tried);
      tried.add(userId);
      const spec = this.agentSpec(userId, queue.id);
      const consultOf = opts.consultOf;
      this.at(t, (ctx) => {
        const customer = this.customerLeg();
        const agent = addLeg(this.conversation, spec, ctx.now);
        agent.alertingTimeoutMs = ALERT_TIMEOUT_MS;
        agent.comm.peerId = customer.comm.id;
        this.copyAddresses(customer, agent);
        if (consultOf) agent.consultParticipantId = consultOf;
      });
      if (missing) {
        misses--;
        const declined = rng.chance(0.5);
        t += declined ? rng.seconds(2, 10) : ALERT_TIMEOUT_MS;
        this.at(t, (ctx) => disconnectLeg(this.leg(spec.id), ctx.now, declined ? 'client' : 'system'));
        if (this.isCall) this.at(t + rng.int(300, 1500), () => terminateLeg(this.leg(spec.id)));
        continue;
      }
      t += rng.seconds(2, 10);
      this.at(t, (ctx) => {
        const agent = this.leg(spec.id);
        connectLeg(agent, ctx.now);
        disconnectLeg(this.leg(acdId), ctx.now, 'transfer');
        ctx.fact('participant.joined', agent);
      });
      return { agentId: spec.id, t };
    }
  }

  private customerLeg(): SimParticipant {
    return this.conversation.participants.find((p) => p.purpose === 'customer')!;
  }

  /** Agent legs mirror the customer's addresses (the agent writes to the customer). */
  private copyAddresses(customer: SimParticipant, agent: SimParticipant): void {
    const c = customer.comm;
    if (c.fromAddress) agent.comm.toAddress = c.fromAddress;
    if (c.toAddress) agent.comm.fromAddress = c.toAddress;
    if (c.self) agent.comm.other = c.self;
    if (c.subject) agent.comm.subject = c.subject;
    if (c.callbackNumbers) agent.comm.callbackNumbers = [...c.callbackNumbers];
    if (c.callbackUserName) agent.comm.callbackUserName = c.callbackUserName;
    if (c.media === 'email') agent.comm.messagesSent = 0;
  }

  /** The conversation between the customer and the agent leg for `span` ms; returns when it ends. */
  private converse(start: number, agentId: string, customerId: string, span: number, park: boolean): number {
    const { rng } = this;
    const end = start + span;
    if (this.isMessage) {
      const rounds = rng.int(2, 5);
      const parkRound = park ? rng.int(0, rounds - 1) : -1;
      const slot = span / rounds;
      for (let i = 0; i < rounds; i++) {
        const base = start + i * slot;
        const reply = agentLine(rng);
        const answer = customerLine(rng);
        const replyId = rng.uuid();
        const answerId = rng.uuid();
        this.at(base + slot * 0.2, (ctx) => ctx.message(this.leg(agentId), 'outbound', reply, replyId));
        if (i === parkRound) this.at(base + slot * 0.4, (ctx) => parkLeg(this.leg(agentId), ctx.now));
        this.at(base + slot * 0.8, (ctx) => {
          const agent = this.leg(agentId);
          if (agent.comm.state === 'parked') resumeLeg(agent, ctx.now);
          ctx.message(this.leg(customerId), 'inbound', answer, answerId);
        });
      }
    } else if (this.isCall) {
      if (rng.chance(0.2)) {
        this.at(start + span * 0.3, (ctx) => holdLeg(this.leg(agentId), ctx.now));
        this.at(start + span * 0.5, (ctx) => unholdLeg(this.leg(agentId), ctx.now));
      }
    } else {
      this.at(start + span * 0.7, () => {
        const agent = this.leg(agentId);
        agent.comm.messagesSent = (agent.comm.messagesSent ?? 0) + 1;
      });
    }
    return Math.round(end);
  }

  /** The agent leg leaves: the fact, then after-call work (skipped now, or completed later). */
  private leave(
    t: number,
    agentId: string,
    disconnectType: string,
    before?: (ctx: StepContext) => void,
  ): void {
    const mode = this.acwMode();
    const code = this.code();
    this.at(t, (ctx) => {
      before?.(ctx);
      const agent = this.leg(agentId);
      disconnectLeg(agent, ctx.now, disconnectType);
      ctx.fact('participant.left', agent, { disconnectType });
      if (mode === 'skipped') {
        skipAcw(agent, ctx.now, code);
        ctx.fact('conversation.wrapup', agent, {
          wrapupCode: code.id,
          wrapupCodeName: code.name,
          afterCallWork: 'skipped',
        });
      } else {
        startAcw(agent, ctx.now);
      }
    });
    if (mode === 'complete') {
      this.at(t + this.rng.seconds(10, 90), (ctx) => {
        const agent = this.leg(agentId);
        completeAcw(agent, ctx.now, code);
        ctx.fact('conversation.wrapup', agent, {
          wrapupCode: code.id,
          wrapupCodeName: code.name,
          afterCallWork: 'complete',
        });
      });
    }
  }

  /** Moves the conversation from agent leg `fromId` elsewhere; returns the new agent leg and when it took over. */
  private transfer(
    start: number,
    kind: Exclude<TransferKind, 'none'>,
    fromId: string,
    customerId: string,
    currentQueue: OrgQueue,
  ): { agentId: string; t: number } {
    const { rng, org, script, conversation } = this;
    const fromUser = this.userOfLeg.get(fromId)!;
    const toQueue = script.transferQueueId
      ? org.queueById.get(script.transferQueueId)!
      : rng.pick(
          org.queues
            .filter((q) => q.id !== currentQueue.id)
            .concat(org.queues.length < 2 ? [currentQueue] : []),
        );
    const toUserId = script.transferUserId ?? this.pickAgent(toQueue, new Set([fromUser]));
    const transferId = rng.uuid();
    const record = (t: number, attended: boolean, destination: { userId?: string; address?: string }) =>
      conversation.recentTransfers.push({
        id: transferId,
        state: 'complete',
        dateIssued: t,
        transferType: attended ? 'attended' : 'unattended',
        initiatorUserId: fromUser,
        destination,
      });

    if (kind === 'blind-queue') {
      const acd = this.acdSpec(toQueue);
      this.leave(start, fromId, 'transfer', (ctx) => {
        addLeg(conversation, acd, ctx.now);
        record(ctx.now, false, { address: toQueue.id });
        ctx.fact('conversation.transferred', this.leg(fromId), {
          transferType: 'blind',
          to: { kind: 'queue', queueId: toQueue.id, participantId: acd.id },
        });
      });
      return this.route(start, acd.id, toQueue, { exclude: new Set([fromUser]) });
    }

    if (kind === 'blind-user') {
      const spec = this.agentSpec(toUserId, undefined);
      this.leave(start, fromId, 'transfer', (ctx) => {
        const agent = addLeg(conversation, spec, ctx.now);
        agent.comm.peerId = this.leg(customerId).comm.id;
        this.copyAddresses(this.leg(customerId), agent);
        record(ctx.now, false, { userId: toUserId });
        ctx.fact('conversation.transferred', this.leg(fromId), {
          transferType: 'blind',
          to: { kind: 'user', userId: toUserId, participantId: spec.id },
        });
      });
      const t = start + rng.seconds(3, 12);
      this.at(t, (ctx) => {
        const agent = this.leg(spec.id);
        connectLeg(agent, ctx.now);
        ctx.fact('participant.joined', agent);
      });
      return { agentId: spec.id, t };
    }

    // Consult: the first agent holds the customer (confined) while talking to the target, then hands over.
    const beginConsult = (ctx: StepContext) => {
      const from = this.leg(fromId);
      const customer = this.leg(customerId);
      holdLeg(from, ctx.now);
      customer.comm.confined = true;
      from.consultParticipantId = customerId;
      from.attributes.consultInitiator = 'true';
    };
    let target: { agentId: string; t: number };
    let to: { kind: 'queue' | 'user'; queueId?: string; userId?: string; participantId: string };
    if (kind === 'consult-queue') {
      const acd = this.acdSpec(toQueue);
      this.at(start, (ctx) => {
        beginConsult(ctx);
        addLeg(conversation, acd, ctx.now).consultParticipantId = customerId;
      });
      target = this.route(start, acd.id, toQueue, { exclude: new Set([fromUser]), consultOf: customerId });
      to = { kind: 'queue', queueId: toQueue.id, participantId: acd.id };
    } else {
      const spec = this.agentSpec(toUserId, undefined);
      this.at(start, (ctx) => {
        beginConsult(ctx);
        const agent = addLeg(conversation, spec, ctx.now);
        agent.consultParticipantId = customerId;
        agent.comm.peerId = this.leg(customerId).comm.id;
        this.copyAddresses(this.leg(customerId), agent);
      });
      const t = start + rng.seconds(3, 12);
      this.at(t, (ctx) => {
        const agent = this.leg(spec.id);
        connectLeg(agent, ctx.now);
        ctx.fact('participant.joined', agent);
      });
      target = { agentId: spec.id, t };
      to = { kind: 'user', userId: toUserId, participantId: spec.id };
    }
    const handover = target.t + rng.seconds(20, 120);
    this.leave(handover, fromId, 'transfer.consult', (ctx) => {
      delete this.leg(customerId).comm.confined;
      record(ctx.now, true, to.kind === 'queue' ? { address: toQueue.id } : { userId: toUserId });
      ctx.fact('conversation.transferred', this.leg(fromId), { transferType: 'consult', to: { ...to } });
    });
    return { agentId: target.agentId, t: handover };
  }

  /** The end: someone hangs up or closes the conversation; calls are torn down a moment later. */
  private finish(t: number, agentId: string, customerId: string): void {
    const { rng, conversation } = this;
    const customerEnds = conversation.media === 'email' ? false : rng.chance(this.isMessage ? 0.3 : 0.6);
    let last = t;
    if (customerEnds) {
      this.at(t, (ctx) => disconnectLeg(this.leg(customerId), ctx.now, 'endpoint'));
      last = t + rng.int(0, 400);
      this.leave(last, agentId, 'peer');
    } else {
      this.leave(t, agentId, 'client', (ctx) => disconnectLeg(this.leg(customerId), ctx.now, 'peer'));
    }
    if (this.isCall) {
      this.at(last + rng.int(500, 2000), () => {
        for (const p of conversation.participants) terminateLeg(p);
      });
    }
  }
}
