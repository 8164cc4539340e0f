/**
 * The emulated world of the local Genesys Cloud: a seeded org, seeded history, a deterministic traffic simulator
 * publishing real-shaped conversation snapshots, and the oracles (ground truth, outbound record). It knows nothing
 * of HTTP: the shell builds it with {@link createWorld}, passes a publisher, and registers the REST routes over it
 * (`../routes/index.ts`).
 */
import type { Models } from 'purecloud-platform-client-v2';
import {
  type AgentlessCaller,
  type AgentlessResult,
  AgentlessSender,
  type OutboundRecord,
} from './agentless.js';
import { runConversationQuery } from './analytics.js';
import { parseConversationQuery } from './analytics-query.js';
import { AnalyticsView } from './analytics-view.js';
import { type Clock, systemClock } from './clock.js';
import { iso } from './format.js';
import { type GroundTruthFact, GroundTruthLog } from './ground-truth.js';
import { seedHistory } from './history.js';
import { allLegsEnded, appendMessage, isEnded, type SimConversation } from './model.js';
import { generateOrg, type Org } from './org.js';
import { hashSeed, Random } from './random.js';
import { renderMessageData } from './render.js';
import { Scheduler } from './scheduler.js';
import { type ConversationScript, validateScript } from './script.js';
import { resolveSettings, type WorldSettings } from './settings.js';
import { type NotificationPublisher, Simulation } from './simulation.js';
import { ConversationStore } from './store.js';

export type { AgentlessCaller, AgentlessRefusal, AgentlessResult, OutboundRecord } from './agentless.js';
export { QueryError } from './analytics-query.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export type { GroundTruthFact } from './ground-truth.js';
export type { Channel, SimConversation } from './model.js';
export type { Org, OrgContact, OrgQueue, OrgUser, OrgWrapupCode } from './org.js';
export { renderMessageData } from './render.js';
export { type ConversationScript, ScriptError, TRANSFER_KINDS, type TransferKind } from './script.js';
export { defaultWorldSettings, type TrafficMix, type WorldSettings } from './settings.js';
export type { NotificationPublisher } from './simulation.js';

/**
 * Why a message into a conversation is refused: no such message conversation or communication (`not-found`), a
 * caller without a user context or not the user of that leg (`not-participant`), a conversation or leg that ended
 * (`closed`), a text that is empty, not a string or too long (`invalid-text`). The routes give each the platform's
 * status and error code.
 */
export type ConversationMessageRefusal = 'not-found' | 'not-participant' | 'closed' | 'invalid-text';

/** Outcome of sending a message inside a conversation as a participant. */
export type ConversationMessageResult =
  | { ok: true; message: Models.MessageData & { textBody: string } }
  | {
      ok: false;
      reason: ConversationMessageRefusal;
      message: string;
      /** The message with `{name}` placeholders, and their values (the platform's error body carries both). */
      messageWithParams?: string;
      messageParams?: Record<string, string>;
    };

export interface World {
  readonly org: Org;
  readonly settings: WorldSettings;
  /** Every conversation the world holds (history, live, scripted, burst, agentless). */
  readonly conversations: ConversationStore;
  /** Live and scripted conversations whose last step has not run yet. */
  readonly activeConversations: number;
  /** Errors thrown by timeline events (a healthy world has none). */
  readonly errors: readonly unknown[];
  /** Begins live traffic. */
  start(): void;
  /** Stops arrivals and every timer; conversations in progress freeze where they are. */
  stop(): Promise<void> | void;
  setTraffic(conversationsPerMinute: number): void;
  /** Lifecycle facts of published conversations, in the order they happened (bounds in epoch ms, inclusive). */
  groundTruth(window?: { since?: number; until?: number }): GroundTruthFact[];
  outbound(): OutboundRecord[];
  /** Starts a scripted conversation now; throws {@link ScriptError} for an invalid script. */
  startScriptedConversation(script: ConversationScript): { conversationId: string };
  /** For benchmarks: publishes exactly n notifications (realistic snapshots), synchronously. */
  burst(n: number): void;
  /** The world's clock time. */
  now(): number;
  sendAgentless(body: unknown, caller: AgentlessCaller): AgentlessResult;
  /** Runs an analytics conversation detail query; throws {@link QueryError} for a bad body. */
  queryConversations(body: unknown): Models.AnalyticsConversationQueryResponse;
  /** The analytics records of these conversations as analytics shows them now (lag included); unknown ids are left out. */
  analyticsRecords(ids: readonly string[]): Models.AnalyticsConversationWithoutAttributes[];
  /** Sends `textBody` on `communicationId` as the caller, who must be a user with a connected leg on it. */
  sendConversationMessage(
    conversationId: string,
    communicationId: string,
    textBody: unknown,
    caller: { userId?: string; clientId: string },
  ): ConversationMessageResult;
}

/** Builds a world: org and history are generated at once; live traffic waits for {@link World.start}. */
export function createWorld(
  settings: Partial<WorldSettings>,
  publisher: NotificationPublisher,
  clock: Clock = systemClock,
): World {
  return new EmulatedWorld(resolveSettings(settings), publisher, clock);
}

const TEXT_LIMIT = 2000;

/** The refusal of a message into a conversation or communication that is no longer active, in the platform's words. */
function closedRefusal(
  messageWithParams: string,
  messageParams: Record<string, string>,
): Extract<ConversationMessageResult, { ok: false }> {
  const message = messageWithParams.replace(/\{(\w+)\}/g, (_, name: string) => messageParams[name] ?? '');
  return { ok: false, reason: 'closed', message, messageWithParams, messageParams };
}

class EmulatedWorld implements World {
  readonly org: Org;
  readonly conversations: ConversationStore;
  readonly analytics: AnalyticsView;
  readonly errors: unknown[] = [];
  private readonly truth: GroundTruthLog;
  private readonly scheduler: Scheduler;
  private readonly simulation: Simulation;
  private readonly agentless: AgentlessSender;
  private readonly apiMessages: Random;

  constructor(
    readonly settings: WorldSettings,
    publisher: NotificationPublisher,
    private readonly clock: Clock,
  ) {
    const now = clock.now();
    this.analytics = new AnalyticsView(
      () => ({ lagMs: settings.analyticsLagMs, jitterMs: settings.analyticsLagJitterMs }),
      new Random(hashSeed(settings.seed, 'analytics-lag')),
    );
    this.conversations = new ConversationStore(settings.maxConversations, (id) => this.analytics.forget(id));
    this.truth = new GroundTruthLog(settings.maxGroundTruthFacts);
    this.org = generateOrg(settings, new Random(settings.seed), now);
    this.scheduler = new Scheduler(clock, (error) => {
      if (this.errors.length < 100) this.errors.push(error);
    });
    this.simulation = new Simulation({
      settings,
      org: this.org,
      clock,
      scheduler: this.scheduler,
      store: this.conversations,
      truth: this.truth,
      publisher,
      analytics: this.analytics,
    });
    seedHistory(settings, this.org, this.simulation, now);
    this.agentless = new AgentlessSender(
      this.org,
      this.conversations,
      settings,
      new Random(hashSeed(settings.seed, 'agentless')),
    );
    this.apiMessages = new Random(hashSeed(settings.seed, 'api-messages'));
  }

  get activeConversations(): number {
    return this.simulation.activeConversations;
  }

  now(): number {
    return this.clock.now();
  }

  start(): void {
    this.scheduler.resume();
    this.simulation.start();
  }

  stop(): void {
    this.simulation.stop();
    this.scheduler.stop();
  }

  setTraffic(conversationsPerMinute: number): void {
    this.simulation.setTraffic(conversationsPerMinute);
  }

  groundTruth(window: { since?: number; until?: number } = {}): GroundTruthFact[] {
    return this.truth.list(window.since, window.until).map((fact) => {
      const published = this.conversations.get(fact.conversationId)?.firstPublishedAt;
      if (published === undefined || iso(published) <= fact.occurredAt) return fact;
      return { ...fact, observableAt: iso(published) };
    });
  }

  outbound(): OutboundRecord[] {
    return this.agentless.outbound();
  }

  startScriptedConversation(script: ConversationScript): { conversationId: string } {
    const checked = validateScript(this.org, script);
    this.scheduler.resume();
    return { conversationId: this.simulation.startScripted(checked).id };
  }

  burst(n: number): void {
    this.simulation.burst(n);
  }

  sendAgentless(body: unknown, caller: AgentlessCaller): AgentlessResult {
    const now = this.clock.now();
    const result = this.agentless.send(body, caller, now);
    if (result.ok) {
      const conversation = this.conversations.get(result.record.conversationId);
      if (conversation) this.analytics.changed(conversation, now);
    }
    return result;
  }

  queryConversations(body: unknown): Models.AnalyticsConversationQueryResponse {
    const query = parseConversationQuery(body, {
      maxPageSize: this.settings.analyticsMaxPageSize,
      maxResults: this.settings.analyticsMaxResults,
    });
    const now = this.clock.now();
    return runConversationQuery(this.conversations, query, {
      visible: (c) => this.analytics.visible(c, now),
      recordOf: (c) => this.analytics.recordAt(c, now),
    });
  }

  analyticsRecords(ids: readonly string[]): Models.AnalyticsConversationWithoutAttributes[] {
    const now = this.clock.now();
    const records: Models.AnalyticsConversationWithoutAttributes[] = [];
    for (const id of ids) {
      const conversation = this.conversations.get(id);
      const record = conversation && this.analytics.recordAt(conversation, now);
      if (record) records.push(record);
    }
    return records;
  }

  sendConversationMessage(
    conversationId: string,
    communicationId: string,
    textBody: unknown,
    caller: { userId?: string; clientId: string },
  ): ConversationMessageResult {
    const conversation = this.conversations.get(conversationId);
    if (conversation?.media !== 'message')
      return {
        ok: false,
        reason: 'not-found',
        message: `Message conversation ${conversationId} not found`,
      };
    const leg = conversation.participants.find((p) => p.comm.id === communicationId.toLowerCase());
    if (!leg)
      return {
        ok: false,
        reason: 'not-found',
        message: `Communication ${communicationId} not found in conversation ${conversationId}`,
      };
    if (!caller.userId)
      return {
        ok: false,
        reason: 'not-participant',
        message:
          'Sending in a conversation needs a user context: the caller must be a participant (a client-credentials token is not); use agentless messages instead',
      };
    if (leg.userId !== caller.userId)
      return {
        ok: false,
        reason: 'not-participant',
        message: `User ${caller.userId} is not an active participant on communication ${communicationId}`,
      };
    // The caller's own leg, but nothing can be written any more: the conversation ended, or this leg did.
    if (allLegsEnded(conversation))
      return closedRefusal('Conversation {conversationId} has ended: no new messages can be sent in it', {
        conversationId,
      });
    if (isEnded(leg))
      return closedRefusal(
        'Communication {communicationId} of conversation {conversationId} is {state}: no new messages can be sent on it',
        { communicationId, conversationId, state: leg.comm.state },
      );
    if (typeof textBody !== 'string' || textBody.trim() === '')
      return {
        ok: false,
        reason: 'invalid-text',
        message: 'textBody must be a non-empty string',
      };
    if (textBody.length > TEXT_LIMIT)
      return {
        ok: false,
        reason: 'invalid-text',
        message: `textBody exceeds ${TEXT_LIMIT} characters`,
      };
    return { ok: true, message: this.appendAgentMessage(conversation, leg, textBody, caller.userId) };
  }

  private appendAgentMessage(
    conversation: SimConversation,
    leg: SimConversation['participants'][number],
    textBody: string,
    userId: string,
  ): Models.MessageData & { textBody: string } {
    const now = this.clock.now();
    const comm = leg.comm;
    if (comm.state === 'parked') {
      comm.state = 'connected';
      comm.resumeTime = now;
    }
    const message = appendMessage(conversation.id, comm, {
      messageId: this.apiMessages.uuid(),
      time: now,
      status: 'sent',
      direction: 'outbound',
      textBody,
      sentBy: { userId },
    });
    this.simulation.publish(conversation);
    this.analytics.changed(conversation, now);
    return renderMessageData(message);
  }
}
