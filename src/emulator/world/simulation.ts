/**
 * The traffic simulator: runs conversation plans on the world's timeline, publishes a whole-conversation snapshot
 * on every change (to the topic of each queue and user involved, and its media's flattened view to their per-media
 * topics when subscribed), and records ground truth.
 *
 * Emulated durations are divided by `timeScale` on the clock: with timeScale 60 a five-minute conversation takes
 * five seconds. Snapshot timestamps are the clock times at which each change happened, so they never lie in the
 * future of the process that receives them. Arrivals follow a Poisson process in emulated time drawn from the
 * seed; each conversation draws from its own stream, so the sequence does not depend on timer jitter.
 */
import type { AnalyticsView } from './analytics-view.js';
import type { Clock } from './clock.js';
import { buildFact, type GroundTruthLog } from './ground-truth.js';
import { allLegsEnded, appendMessage, CHANNELS, type Channel, type SimConversation } from './model.js';
import type { Org } from './org.js';
import { hashSeed, Random } from './random.js';
import { renderNotification } from './render.js';
import { DetailEventLog } from './render-detail.js';
import { mediaTopicSuffix, renderMediaNotification } from './render-media.js';
import { type Plan, planConversation, type Step, type StepContext } from './scenario.js';
import type { Scheduler } from './scheduler.js';
import type { ConversationScript } from './script.js';
import type { WorldSettings } from './settings.js';
import type { ConversationStore } from './store.js';

/** Where snapshots go: the Notification API of the emulator. */
export interface NotificationPublisher {
  publish(topicName: string, eventBody: unknown): void;
  /**
   * Whether anyone is subscribed to a topic. Per-media topics (`….conversations.calls`, ...) are rendered and
   * published only when subscribed; without this, only the aggregate topics are published.
   */
  subscribed?(topicName: string): boolean;
  /**
   * Whether conversation detail events (`v2.detail.events.conversation.{id}.*`) are wanted (an EventBridge integration
   * is set up): only then are they rendered and published, each once, as it happens.
   */
  detailEventsWanted?(): boolean;
}

/** The frames one change of a conversation was published as: topic and body. */
interface Published {
  frames: Array<[topic: string, body: unknown]>;
}

export interface SimulationDeps {
  settings: WorldSettings;
  org: Org;
  clock: Clock;
  scheduler: Scheduler;
  store: ConversationStore;
  truth: GroundTruthLog;
  publisher: NotificationPublisher;
  /** Told of every change of a live conversation (analytics shows it after its lag). */
  analytics: AnalyticsView;
}

/** The aggregate topics a conversation's snapshot goes to: every queue and every user it involves. */
export function topicsOf(conversation: SimConversation): string[] {
  const topics = new Set<string>();
  for (const p of conversation.participants) {
    if (p.queueId) topics.add(`v2.routing.queues.${p.queueId}.conversations`);
  }
  for (const p of conversation.participants) {
    if (p.userId) topics.add(`v2.users.${p.userId}.conversations`);
  }
  return [...topics];
}

/** The per-media topics of the same queues and users, for the conversation's media. */
export function mediaTopicsOf(conversation: SimConversation): string[] {
  const suffix = mediaTopicSuffix(conversation.media);
  return topicsOf(conversation).map((topic) => `${topic}.${suffix}`);
}

export class Simulation {
  private rate: number;
  private running = false;
  private arrivalToken = 0;
  private readonly arrivals: Random;
  private liveCount = 0;
  private scriptedCount = 0;
  private burstCount = 0;
  private inFlight = 0;
  private published = 0;
  private readonly detailEvents = new DetailEventLog();

  constructor(private readonly deps: SimulationDeps) {
    this.rate = deps.settings.conversationsPerMinute;
    this.arrivals = new Random(hashSeed(deps.settings.seed, 'arrivals'));
  }

  /** Conversations started on the timeline whose last step has not run yet. */
  get activeConversations(): number {
    return this.inFlight;
  }

  /** Notifications published so far (one per topic per snapshot). */
  get publishedCount(): number {
    return this.published;
  }

  /** Starts spontaneous arrivals: one at once, then at the configured rate. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.deps.clock.now();
    this.arrivalToken++;
    const token = this.arrivalToken;
    this.deps.scheduler.schedule(now, (t) => this.arrive(t, token));
  }

  stop(): void {
    this.running = false;
    this.arrivalToken++;
  }

  /** Changes the arrival rate from now on (0 stops arrivals; conversations in progress carry on). */
  setTraffic(conversationsPerMinute: number): void {
    if (!(conversationsPerMinute >= 0) || !Number.isFinite(conversationsPerMinute))
      throw new RangeError('conversationsPerMinute must be a finite number >= 0');
    this.rate = conversationsPerMinute;
    if (!this.running) return;
    this.arrivalToken++;
    this.scheduleArrival(this.deps.clock.now(), this.arrivalToken);
  }

  private scheduleArrival(from: number, token: number): void {
    if (this.rate <= 0) return;
    const gap = this.arrivals.exponential(60_000 / this.rate) / this.deps.settings.timeScale;
    this.deps.scheduler.schedule(from + Math.max(1, Math.round(gap)), (t) => this.arrive(t, token));
  }

  private arrive(t: number, token: number): void {
    if (!this.running || token !== this.arrivalToken) return;
    if (this.rate > 0) {
      const rng = new Random(hashSeed(this.deps.settings.seed, 'live', this.liveCount++));
      const kind = pickChannel(rng, this.deps.settings);
      this.launch(planConversation(rng, this.deps.org, { kind }, 'live'), t);
    }
    this.scheduleArrival(t, token);
  }

  /** Starts a scripted conversation now; its first snapshot is published before this returns. */
  startScripted(script: ConversationScript): SimConversation {
    const rng = new Random(hashSeed(this.deps.settings.seed, 'scripted', this.scriptedCount++));
    const plan = planConversation(rng, this.deps.org, script, 'scripted');
    this.launch(plan, this.deps.clock.now());
    return plan.conversation;
  }

  /** Runs the first step now and puts the others on the timeline. */
  private launch(plan: Plan, start: number): void {
    const { scheduler, settings } = this.deps;
    const conversation = plan.conversation;
    conversation.startTime = start;
    const duplicates = new Random(hashSeed(settings.seed, conversation.id, 'duplicates'));
    const last = plan.steps.at(-1);
    this.inFlight++;
    const runStep = (step: Step, t: number) => {
      this.apply(plan, step, t, true);
      const sent = this.publish(conversation);
      if (duplicates.chance(settings.duplicateSnapshotProbability)) {
        scheduler.schedule(t + settings.duplicateSnapshotDelayMs, () => this.republish(sent));
      }
      if (step === last) this.inFlight--;
    };
    const [first, ...rest] = plan.steps;
    if (first) runStep(first, start);
    for (const step of rest) {
      scheduler.schedule(start + Math.round(step.at / settings.timeScale), (t) => runStep(step, t));
    }
  }

  /** Applies one step at time `t` (recording facts when asked) and notices the end of the conversation. */
  apply(plan: Plan, step: Step, t: number, record: boolean): void {
    const { store, truth } = this.deps;
    const conversation = plan.conversation;
    if (step === plan.steps[0]) store.add(conversation);
    const ctx: StepContext = {
      now: t,
      conversation,
      fact: (type, subject, detail) => {
        if (record) truth.add(buildFact(conversation, type, t, subject, detail));
      },
      message: (leg, direction, textBody, messageId) => {
        const status = direction === 'inbound' ? 'received' : 'sent';
        store.noteMessage(
          appendMessage(conversation.id, leg.comm, { messageId, time: t, status, direction, textBody }),
        );
      },
    };
    step.run(ctx);
    if (conversation.endTime === undefined && allLegsEnded(conversation)) {
      conversation.endTime = t;
      if (record) truth.add(buildFact(conversation, 'conversation.ended', t));
    }
    // Live changes reach analytics late; seeded history (not recorded) is old and shows as it is.
    if (record) this.deps.analytics.changed(conversation, t);
  }

  /**
   * Publishes the conversation's current state on all its topics: the whole snapshot on the aggregate topics, and
   * its media's flattened view on the per-media topics someone is subscribed to (at most `limit` frames, returned for
   * a duplicate); and the detail events it produced since, when wanted.
   */
  publish(conversation: SimConversation, limit = Number.POSITIVE_INFINITY): Published {
    const { publisher, settings } = this.deps;
    const body = renderNotification(conversation, settings.wrapupInNotifications);
    const frames: Published['frames'] = topicsOf(conversation).map((topic) => [topic, body]);
    if (publisher.subscribed) {
      let mediaBody: unknown;
      for (const topic of mediaTopicsOf(conversation)) {
        if (!publisher.subscribed(topic)) continue;
        mediaBody ??= renderMediaNotification(
          conversation,
          conversation.media,
          settings.wrapupInNotifications,
        );
        frames.push([topic, mediaBody]);
      }
    }
    const sent = { frames: frames.slice(0, limit) };
    if (sent.frames.length > 0) conversation.firstPublishedAt ??= this.deps.clock.now();
    this.republish(sent);
    // Detail events go out once each, as they happen: their delivery's own duplicates are the integration's business.
    if (publisher.detailEventsWanted?.() === true) {
      for (const detail of this.detailEvents.next(conversation)) publisher.publish(detail.topic, detail.body);
    }
    return sent;
  }

  private republish(sent: Published): void {
    for (const [topic, body] of sent.frames) this.deps.publisher.publish(topic, body);
    this.published += sent.frames.length;
  }

  /**
   * Publishes exactly `n` notifications as fast as possible: whole conversations played instantly, each placed so
   * that it ends just before now. Facts of the steps played go to ground truth (origin `burst`).
   */
  burst(n: number): void {
    const { settings, org, clock } = this.deps;
    let left = Math.max(0, Math.floor(n));
    const now = clock.now();
    while (left > 0) {
      const rng = new Random(hashSeed(settings.seed, 'burst', this.burstCount++));
      const plan = planConversation(rng, org, { kind: pickChannel(rng, settings) }, 'burst');
      const start = now - (plan.steps.at(-1)?.at ?? 0) - 1;
      plan.conversation.startTime = start;
      const duplicates = new Random(hashSeed(settings.seed, plan.conversation.id, 'duplicates'));
      for (const step of plan.steps) {
        if (left <= 0) break;
        this.apply(plan, step, start + step.at, true);
        left -= this.publish(plan.conversation, left).frames.length;
        if (left > 0 && duplicates.chance(settings.duplicateSnapshotProbability)) {
          left -= this.publish(plan.conversation, left).frames.length;
        }
      }
    }
  }

  /** Plays a conversation instantly from `start` without publishing or recording facts (seeded history). */
  playSilently(plan: Plan, start: number): SimConversation {
    plan.conversation.startTime = start;
    for (const step of plan.steps) this.apply(plan, step, start + step.at, false);
    return plan.conversation;
  }
}

/** A channel drawn with the configured traffic mix. */
export function pickChannel(rng: Random, settings: WorldSettings): Channel {
  return rng.weighted(CHANNELS.map((c) => [c, settings.mix[c]] as const));
}
