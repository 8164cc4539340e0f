/**
 * The proactive engagement engine: lifecycle events and scheduled sweeps in, one decision per rule, customer and
 * trigger out — recorded in the ledger and, when everything allows it, sent exactly once. Deferred decisions wait
 * in the ledger (not in memory) and are picked up when due; in-doubt sends are reconciled before any retry.
 *
 * The engine reads its feeds (events, sweeps, the due-time pass) and hands each candidate to the decider; it
 * builds the parts and gives each what it needs, and none of them calls back into it. State has one owner each:
 * the rule stops which rules are stopped, the claimed sender which sends are under way, the tracker the live
 * sessions, the history service its cache, the ledger everything decided.
 */

import { mapLimit, Semaphore } from '../concurrency.js';
import type { LifecycleEvent } from '../events.js';
import { type Logger, silentLogger } from '../logging.js';
import type { LedgerEntry, LedgerStore } from '../store/index.js';
import { HistoryService } from './customer/history.js';
import { IdentityResolver } from './customer/identity.js';
import { LiveSessionTracker } from './customer/live-sessions.js';
import { WrapupCodeDirectory } from './customer/wrapup-codes.js';
import { Decider } from './decider.js';
import { AgentlessDelivery } from './delivery/agentless.js';
import { ChannelPlanner } from './delivery/channel-planner.js';
import { type UserContextCredential, WebMessagingReplier } from './delivery/reply.js';
import { SenderDirectory } from './delivery/senders.js';
import { ClaimedSender } from './ledger/claimed-sender.js';
import { candidateOfEntry, type Decision } from './ledger/decision.js';
import { InDoubtSettler } from './ledger/in-doubt.js';
import { Reconciler } from './ledger/reconcile.js';
import { DecisionRecorder } from './ledger/recorder.js';
import { DecisionReporter } from './ledger/reporter.js';
import type { PlatformRequester } from './platform-port.js';
import { withPurpose } from './platform-port.js';
import { RuleStops } from './policy/rule-stops.js';
import { SendPacer } from './policy/send-pacer.js';
import type { ProactiveRule, RuleSet, ScheduleTrigger } from './rules/types.js';
import { eventCandidates } from './triggers/event-triggers.js';
import { sweepCandidates } from './triggers/sweep.js';

const DAY_MS = 86_400_000;
/** Events being evaluated or waiting for a slot before the live loop stops reading more. */
const MAX_QUEUED_EVENTS = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface ProactiveEngineOptions {
  rules: RuleSet;
  /** The platform client (client credentials) every REST call goes through. */
  client: PlatformRequester;
  ledger: LedgerStore;
  /** Time for every decision (quiet hours, cooldowns, due times); `Date.now` by default. */
  clock?: { now(): number };
  logger?: Logger;
  /** Plan and report, send nothing, record nothing. */
  dryRun?: boolean;
  /** The user-context credential for `webmessaging-reply`; without it that channel is skipped. */
  replyCredential?: UserContextCredential;
  /** Called with every decision (the CLI prints them). */
  onDecision?: (decision: Decision) => void;
  /** Live state fed by lifecycle events; a new one by default. */
  tracker?: LiveSessionTracker;
  /**
   * With a ledger shared by several replicas: how old another process's `sending` claim must be before this
   * engine reconciles it (at start and with every due check). 0 (default): a ledger only this process uses.
   */
  sendingStaleMs?: number;
}

/** Decisions of one pass, with counts per status. */
export interface RunSummary {
  decisions: Decision[];
  counts: Record<string, number>;
}

export interface RunOptions {
  /** Lifecycle events (the stream's `FanOut` of them is one); event rules stay idle without them. */
  events?: AsyncIterable<LifecycleEvent>;
  signal: AbortSignal;
  /** How often due decisions are looked for (default 15 s). */
  dueCheckMs?: number;
  /**
   * Called once per event from `events` when its handling has finished and its decisions are recorded, with the
   * error when handling failed. A broker consumer acknowledges here, so only processed events leave its queue.
   */
  onEventSettled?: (event: LifecycleEvent, error?: unknown) => void;
}

/** Counts decisions per status. */
export function summarise(decisions: Decision[]): RunSummary {
  const counts: Record<string, number> = {};
  for (const decision of decisions) counts[decision.status] = (counts[decision.status] ?? 0) + 1;
  return { decisions, counts };
}

/** The engine. */
export class ProactiveEngine {
  readonly tracker: LiveSessionTracker;
  readonly rules: RuleSet;
  private readonly client: PlatformRequester;
  private readonly ledger: LedgerStore;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly dryRun: boolean;
  /** Set by `run`: once aborted, work not yet begun is left for the next run. */
  private stopSignal: AbortSignal | undefined;
  private readonly history: HistoryService;
  private readonly stops: RuleStops;
  private readonly decider: Decider;
  private readonly inDoubt: InDoubtSettler;
  private readonly work: Semaphore;
  private started: Promise<Decision[]> | undefined;

  constructor(options: ProactiveEngineOptions) {
    this.rules = options.rules;
    this.client = withPurpose(options.client, 'proactive');
    this.ledger = options.ledger;
    const clock = options.clock ?? { now: () => Date.now() };
    this.now = () => clock.now();
    this.logger = options.logger ?? silentLogger();
    this.dryRun = options.dryRun ?? false;
    this.tracker = options.tracker ?? new LiveSessionTracker();
    const { settings } = options.rules;
    this.work = new Semaphore(settings.concurrency);
    const chunkMs = settings.history.chunkDays * DAY_MS;
    this.history = new HistoryService({
      client: this.client,
      chunkMs,
      pageSize: settings.history.pageSize,
      cacheMs: settings.history.cacheMs,
      now: this.now,
    });
    const senders = new SenderDirectory(this.client, settings.senders);
    const replier = new WebMessagingReplier(options.replyCredential ?? undefined);
    if (
      options.replyCredential &&
      settings.webmessagingReply &&
      options.replyCredential.userId !== settings.webmessagingReply.userId
    ) {
      this.logger.warn(
        'the reply credential acts as another user than settings.webmessagingReply.userId; the credential wins',
      );
    }
    this.stops = new RuleStops(this.logger);
    const reporter = new DecisionReporter(this.logger, options.onDecision);
    const recorder = new DecisionRecorder({
      ledger: this.ledger,
      now: this.now,
      dryRun: this.dryRun,
      stops: this.stops,
      maxAttempts: settings.reconcile.maxAttempts,
    });
    const planner = new ChannelPlanner({ senders, replier, history: this.history });
    const sender = new ClaimedSender({
      ledger: this.ledger,
      recorder,
      planner,
      delivery: new AgentlessDelivery(this.client),
      replier,
      pacer: new SendPacer(settings.sendsPerMinute),
      stops: this.stops,
      settings: settings.reconcile,
      now: this.now,
    });
    this.decider = new Decider({
      settings,
      ledger: this.ledger,
      history: this.history,
      identity: new IdentityResolver({
        client: this.client,
        attributes: settings.contactAttributes,
        openIntegrationId: () => senders.openIntegrationId(),
        cacheMs: settings.history.cacheMs,
        now: this.now,
      }),
      planner,
      codes: new WrapupCodeDirectory(this.client),
      tracker: this.tracker,
      recorder,
      sender,
      now: this.now,
      dryRun: this.dryRun,
      stops: this.stops,
      reporter,
    });
    this.inDoubt = new InDoubtSettler({
      ledger: this.ledger,
      reconciler: new Reconciler({
        client: this.client,
        replier,
        ledger: this.ledger,
        chunkMs,
        pageSize: settings.history.pageSize,
        skewMs: settings.reconcile.skewMs,
        now: this.now,
      }),
      settings: settings.reconcile,
      rules: this.rules.rules,
      decider: this.decider,
      sends: sender,
      stops: this.stops,
      reporter,
      now: this.now,
      dryRun: this.dryRun,
      logger: this.logger,
      sendingStaleMs: options.sendingStaleMs ?? 0,
    });
    for (const warning of options.rules.warnings) this.logger.warn(warning);
  }

  /** Rules stopped for a missing permission, with why. */
  get stoppedRules(): ReadonlyMap<string, string> {
    return this.stops.all;
  }

  /** Settles what an earlier run left in doubt (once); safe to call repeatedly. */
  start(): Promise<Decision[]> {
    // A failed attempt (the ledger unreachable) is not remembered: the next run tries again.
    this.started ??= this.inDoubt.settleAll().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  /** Feeds one lifecycle event: live state first, then every event rule it fires. */
  async handleEvent(event: LifecycleEvent): Promise<Decision[]> {
    this.tracker.observe(event);
    const candidates = await eventCandidates(event, {
      rules: this.rules.rules,
      tracker: this.tracker,
      client: this.client,
      stops: this.stops,
      logger: this.logger,
    });
    const decisions: Decision[] = [];
    for (const candidate of candidates) decisions.push(await this.decider.decide(candidate));
    return decisions;
  }

  /** Runs one sweep of every schedule rule (or of the one named). */
  async sweep(ruleId?: string): Promise<Decision[]> {
    const rules = this.rules.rules.filter(
      (rule) =>
        rule.enabled && rule.trigger.kind === 'schedule' && (ruleId === undefined || rule.id === ruleId),
    );
    const decisions: Decision[] = [];
    for (const rule of rules)
      decisions.push(...(await this.sweepRule(rule, rule.trigger as ScheduleTrigger)));
    return decisions;
  }

  /** Picks up deferred decisions whose time has come and in-doubt sends due for reconciliation. */
  async processDue(): Promise<Decision[]> {
    // A shared ledger: `sending` entries of a replica that died meanwhile are reconciled once stale.
    const stale = await this.inDoubt.settleStale(
      (entry) => this.stops.isStopped(entry.ruleId) || this.stopSignal?.aborted === true,
    );
    // Entries of a stopped rule wait in the ledger until the permission is granted and the engine restarts.
    const due = (await this.ledger.listDue(iso(this.now()), ['deferred', 'unknown'])).filter(
      (entry) => !this.stops.isStopped(entry.ruleId),
    );
    return mapLimit(due, this.rules.settings.concurrency, (entry) => {
      if (this.stopSignal?.aborted) return Promise.resolve(undefined);
      return entry.status === 'unknown' ? this.inDoubt.settle(entry) : this.resume(entry);
    }).then((all) => [...stale, ...all.filter((d): d is Decision => d !== undefined)]);
  }

  /** One pass: settle in-doubt sends, run due decisions, sweep every schedule rule. */
  async runOnce(): Promise<RunSummary> {
    const decisions = [...(await this.start()), ...(await this.processDue()), ...(await this.sweep())];
    return summarise(decisions);
  }

  /** Runs until the signal aborts: events as they come, sweeps on their schedule, due decisions on a timer. */
  async run(options: RunOptions): Promise<void> {
    const { signal } = options;
    this.stopSignal = signal;
    await this.start();
    const timers: NodeJS.Timeout[] = [];
    const tasks = new Set<Promise<unknown>>();
    const track = (what: string, task: Promise<unknown>): Promise<unknown> => {
      const tracked = task.catch((error: unknown) =>
        this.logger.error({ err: (error as Error).message }, `${what} failed`),
      );
      tasks.add(tracked);
      void tracked.finally(() => tasks.delete(tracked));
      return tracked;
    };
    // A periodic job never overlaps itself: a sweep slower than its interval skips a beat instead of piling up.
    const periodic = (what: string, job: () => Promise<unknown>) => {
      let busy = false;
      return () => {
        if (signal.aborted || busy) return;
        busy = true;
        void track(what, job()).finally(() => {
          busy = false;
        });
      };
    };
    for (const rule of this.rules.rules) {
      if (!rule.enabled || rule.trigger.kind !== 'schedule') continue;
      const sweepRule = periodic(`sweep of rule ${rule.id}`, () => this.sweep(rule.id));
      sweepRule();
      timers.push(setInterval(sweepRule, rule.trigger.everyMs));
    }
    timers.push(
      setInterval(
        periodic('due decisions', () => this.processDue()),
        options.dueCheckMs ?? 15_000,
      ),
    );
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    let iterator: AsyncIterator<LifecycleEvent> | undefined;
    try {
      if (options.events) {
        iterator = options.events[Symbol.asyncIterator]();
        while (!signal.aborted) {
          const next = await Promise.race([iterator.next(), stopped.then(() => undefined)]);
          if (!next || next.done) break;
          const event = next.value;
          // The tracker learns of every event at once, in order; rules are evaluated with bounded concurrency.
          this.tracker.observe(event);
          track('event', this.settleAfter(event, options.onEventSettled));
          // Backpressure: stop reading while too much is queued (the source buffers, nothing is lost here).
          while (tasks.size >= MAX_QUEUED_EVENTS && !signal.aborted) await Promise.race([...tasks, stopped]);
        }
      }
      await stopped;
    } finally {
      // Also when reading failed: the source learns that this run reads no more (and may hand its events on).
      await iterator?.return?.().catch(() => undefined);
      for (const timer of timers) clearInterval(timer);
      await Promise.all(tasks);
    }
  }

  /** Handles one live event in a work slot, then tells `onSettled`; the failure is still reported to the caller. */
  private async settleAfter(
    event: LifecycleEvent,
    onSettled: RunOptions['onEventSettled'],
  ): Promise<Decision[]> {
    let decisions: Decision[];
    try {
      decisions = await this.work.run(() => this.handleEvent(event));
    } catch (error) {
      this.notifySettled(onSettled, event, error);
      throw error;
    }
    this.notifySettled(onSettled, event);
    return decisions;
  }

  private notifySettled(
    onSettled: RunOptions['onEventSettled'],
    event: LifecycleEvent,
    ...error: [] | [unknown]
  ): void {
    try {
      onSettled?.(event, ...error);
    } catch (thrown) {
      // The callback belongs to the caller (e.g. a broker ack); its failure must not look like the event's.
      this.logger.error({ eventId: event.id, err: (thrown as Error).message }, 'onEventSettled failed');
    }
  }

  private async sweepRule(rule: ProactiveRule, trigger: ScheduleTrigger): Promise<Decision[]> {
    if (this.stops.isStopped(rule.id)) return [];
    const { settings } = this.rules;
    const candidates = await sweepCandidates(rule, trigger, this.now(), {
      client: this.client,
      history: this.history,
      settings: settings.history,
      stops: this.stops,
      logger: this.logger,
    });
    // Once stopping, candidates not yet begun are left alone: nothing was claimed for them, the next sweep finds them.
    return mapLimit(candidates, settings.concurrency, (candidate) =>
      this.stopSignal?.aborted ? Promise.resolve(undefined) : this.decider.decide(candidate),
    ).then((all) => all.filter((d): d is Decision => d !== undefined));
  }

  /** A deferred entry: its rule and trigger, decided again. */
  private async resume(entry: LedgerEntry): Promise<Decision | undefined> {
    const candidate = candidateOfEntry(this.rules.rules, entry);
    if (!candidate) return this.orphan(entry);
    return this.decider.decide(candidate, entry);
  }

  /** An entry whose rule is no longer in the rules file: it is closed, never sent. */
  private async orphan(entry: LedgerEntry): Promise<Decision | undefined> {
    if (this.dryRun) return undefined;
    const at = iso(this.now());
    await this.ledger.update(
      entry.id,
      {
        status: 'skipped',
        reasonCode: 'rule_removed',
        reason: `rule ${entry.ruleId} is no longer in the rules`,
        updatedAt: at,
      },
      [entry.status],
    );
    return undefined;
  }
}
