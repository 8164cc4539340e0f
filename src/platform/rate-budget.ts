/**
 * The request budget of one access token (Genesys Cloud: 300 requests per minute per client-credentials token by
 * default), shared by purpose. Callers queue for a slot instead of provoking 429s.
 *
 * Slots: a slot is held while its request is in flight and comes back `windowMs` after the response arrived.
 * Because a response cannot arrive before the server saw the request, any N+1 consecutive requests then reach
 * the server at least one window apart, so no window of the server's — fixed or sliding, however aligned — ever
 * counts more than N of ours. The `inin-ratelimit-*` headers adjust the limit and reveal use of the same token
 * by other processes; a 429 pauses the whole budget for its Retry-After.
 *
 * Purposes: channel management (create, HEAD, subscribe) goes first, may take a reserved part of every window that
 * no one else may, and is never paced — a stream waiting to reconnect is losing events. Everything else is paced
 * across the window (a token bucket: a small burst, then the window's rate) so that a busy minute never leaves the
 * last seconds of the window empty, and when purposes compete each gets at least its share (live enrichment, then
 * backfill, then proactive sends, then the rest).
 */
import { performance } from 'node:perf_hooks';
import { SwitchboardError } from '../errors.js';

/** What a request is for; decides its place in the budget. */
export const BUDGET_PURPOSES = ['channel', 'enrichment', 'backfill', 'proactive', 'other'] as const;
export type BudgetPurpose = (typeof BUDGET_PURPOSES)[number];

/** The purposes that share the paced part of the budget. */
export type SharedPurpose = Exclude<BudgetPurpose, 'channel'>;
const SHARED: readonly SharedPurpose[] = ['enrichment', 'backfill', 'proactive', 'other'];

/** Default minimum shares of the paced purposes when they compete (weights, not percentages). */
export const DEFAULT_SHARES: Readonly<Record<SharedPurpose, number>> = {
  enrichment: 4,
  backfill: 3,
  proactive: 2,
  other: 1,
};

export interface RateBudgetOptions {
  /** Requests allowed per window (platform default: 300 per minute). */
  requestsPerWindow?: number;
  /** Window length in ms (platform: 60,000). Tests use short windows. */
  windowMs?: number;
  /** Take the limit the platform reports in `inin-ratelimit-allowed` (default true). */
  adoptServerLimit?: boolean;
  /**
   * Fraction of every window only channel calls may take (default 0.05: 15 of 300). Pacing already leaves a slot
   * free every few hundred ms; the reserve guarantees a reconnect its HEAD and subscribe even when nothing else does.
   */
  channelReserve?: number;
  /** Minimum shares of the other purposes when they compete (weights; defaults {@link DEFAULT_SHARES}). */
  shares?: Partial<Record<SharedPurpose, number>>;
  /** Requests the paced purposes may send back to back before pacing sets in (default a tenth of the limit). */
  burst?: number;
  /** Pace the shared purposes across the window (default true). */
  pace?: boolean;
  /** Extra cool-down per slot, against timer and clock skew (default 5 ms). */
  marginMs?: number;
}

export interface AcquireOptions {
  /** What the request is for (default `other`). */
  purpose?: BudgetPurpose;
  /** Put this caller at the head of its purpose (a retry keeps its place). */
  front?: boolean;
  signal?: AbortSignal;
}

/** A granted slot. Call `release()` once the response (or the failure) is in. */
export interface BudgetSlot {
  release(): void;
}

/** Waits of one purpose: the recent ones (for percentiles) and running totals. */
export interface PurposeState {
  queued: number;
  /** Slots granted since the start. */
  granted: number;
  /** Sum of every wait since the start, ms. */
  waitedMs: number;
  /** Over the last few hundred grants: median, 99th percentile and largest wait, ms. */
  recentWait: { p50: number; p99: number; max: number };
}

/** Current state of the budget, for metrics, health and callers that want to be polite. */
export interface BudgetState {
  limit: number;
  windowMs: number;
  /** Slots a paced caller could take right now (0 while pacing holds them back). */
  available: number;
  /** Slots of each window kept for channel calls. */
  reserved: number;
  inFlight: number;
  queued: number;
  /** ms until a 429 pause (or an exhausted server-reported window) ends; 0 when not paused. */
  pausedForMs: number;
  /** What the platform last reported, if it did. */
  server?: { allowed: number; count: number; resetInMs: number };
  purposes: Record<BudgetPurpose, PurposeState>;
}

/** Told of every grant: its purpose and how long it waited (for a histogram). */
export type GrantListener = (purpose: BudgetPurpose, waitedMs: number) => void;

interface Lane {
  items: Waiter[];
  head: number;
}

interface Waiter {
  purpose: BudgetPurpose;
  enqueuedAt: number;
  resolve: (slot: BudgetSlot) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface PurposeStats {
  granted: number;
  waitedMs: number;
  recent: Float64Array;
  recentCount: number;
  /** Grants in the recent past, decaying with the window: what the shares are measured against. */
  usage: number;
}

const RECENT_WAITS = 512;

/** Error given to calls still queued or in flight when the platform client is closed. */
export class ClientClosedError extends SwitchboardError {
  constructor() {
    super('client_closed', 'The platform client was closed before this request completed', {
      hint: 'Close the platform client only after its last request has settled.',
    });
  }
}

function headerNumber(headers: Record<string, string>, name: string): number | undefined {
  const raw = headers[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Queues in front of a per-token request budget, by purpose. */
export class RateBudget {
  private limit: number;
  readonly windowMs: number;
  private readonly adoptServerLimit: boolean;
  private readonly channelReserve: number;
  private readonly shares: Record<SharedPurpose, number>;
  private readonly burstOption: number | undefined;
  private readonly pace: boolean;
  private readonly marginMs: number;

  private inFlight = 0;
  /** Times (performance.now) at which cooling slots come back, ascending. */
  private cooling: number[] = [];
  private coolingHead = 0;
  private readonly lanes = new Map<BudgetPurpose, Lane>(
    BUDGET_PURPOSES.map((p) => [p, { items: [], head: 0 }]),
  );
  private readonly stats = new Map<BudgetPurpose, PurposeStats>(
    BUDGET_PURPOSES.map((p) => [
      p,
      { granted: 0, waitedMs: 0, recent: new Float64Array(RECENT_WAITS), recentCount: 0, usage: 0 },
    ]),
  );
  private usageAt = performance.now();
  private queued = 0;
  /** Token bucket of the paced purposes. */
  private paceTokens: number;
  private paceAt = performance.now();
  private pausedUntil = 0;
  private server: { allowed: number; count: number; resetAt: number; grantedSince: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private closed = false;
  private readonly listeners: GrantListener[] = [];

  constructor(options: RateBudgetOptions = {}) {
    this.limit = Math.max(1, Math.floor(options.requestsPerWindow ?? 300));
    this.windowMs = Math.max(1, options.windowMs ?? 60_000);
    this.adoptServerLimit = options.adoptServerLimit ?? true;
    this.channelReserve = Math.min(0.9, Math.max(0, options.channelReserve ?? 0.05));
    this.shares = { ...DEFAULT_SHARES };
    for (const purpose of SHARED) {
      const share = options.shares?.[purpose];
      if (share !== undefined) this.shares[purpose] = Math.max(0.001, share);
    }
    this.burstOption = options.burst;
    this.pace = options.pace ?? true;
    this.marginMs = Math.max(0, options.marginMs ?? 5);
    this.paceTokens = this.burst();
  }

  /** Waits for a slot. Rejects with ClientClosedError on close, or the signal's reason on abort. */
  acquire(options: AcquireOptions = {}): Promise<BudgetSlot> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<BudgetSlot>((resolve, reject) => {
      const waiter: Waiter = {
        purpose: options.purpose ?? 'other',
        enqueuedAt: performance.now(),
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal) {
        waiter.onAbort = () => {
          this.remove(waiter);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.enqueue(waiter, options.front ?? false);
      this.pump();
    });
  }

  /** Stops all new grants for `ms` (a 429's Retry-After). Requests in flight are not affected. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + Math.max(0, ms));
    this.pump();
  }

  /** Learns from a response's `inin-ratelimit-allowed`, `-count` and `-reset` (seconds) headers. */
  observe(headers: Record<string, string>): void {
    const allowed = headerNumber(headers, 'inin-ratelimit-allowed');
    const count = headerNumber(headers, 'inin-ratelimit-count');
    const reset = headerNumber(headers, 'inin-ratelimit-reset');
    if (allowed !== undefined && allowed >= 1 && this.adoptServerLimit) this.limit = Math.floor(allowed);
    if (allowed !== undefined && count !== undefined && reset !== undefined) {
      this.server = { allowed, count, resetAt: performance.now() + reset * 1000, grantedSince: 0 };
    }
    this.pump();
  }

  /** Calls `listener` on every grant with its purpose and wait (metrics). Returns a function that removes it. */
  onGrant(listener: GrantListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Current limits, occupancy, queues and waits by purpose. */
  state(): BudgetState {
    const now = performance.now();
    this.prune(now);
    this.refill(now);
    const paced = this.pace ? Math.floor(this.paceTokens) : Number.POSITIVE_INFINITY;
    const state: BudgetState = {
      limit: this.limit,
      windowMs: this.windowMs,
      available: Math.max(0, Math.min(paced, this.freeSlots(now) - this.reserved())),
      reserved: this.reserved(),
      inFlight: this.inFlight,
      queued: this.queued,
      pausedForMs: Math.max(0, Math.ceil(this.blockedUntil(now) - now)),
      purposes: Object.fromEntries(BUDGET_PURPOSES.map((p) => [p, this.purposeState(p)])) as Record<
        BudgetPurpose,
        PurposeState
      >,
    };
    if (this.server) {
      state.server = {
        allowed: this.server.allowed,
        count: this.server.count,
        resetInMs: Math.max(0, Math.ceil(this.server.resetAt - now)),
      };
    }
    return state;
  }

  /** Rejects every queued caller and stops the timer. */
  close(): void {
    this.closed = true;
    this.clearTimer();
    for (const purpose of BUDGET_PURPOSES) {
      for (let waiter = this.dequeue(purpose); waiter; waiter = this.dequeue(purpose)) {
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
        waiter.reject(new ClientClosedError());
      }
    }
  }

  private reserved(): number {
    return Math.floor(this.limit * this.channelReserve);
  }

  private burst(): number {
    return Math.max(1, Math.floor(this.burstOption ?? this.limit / 10));
  }

  /** Refills the pacing bucket: the shared purposes' part of the limit, spread over the window. */
  private refill(now: number): void {
    const rate = Math.max(1, this.limit - this.reserved()) / this.windowMs;
    this.paceTokens = Math.min(this.burst(), this.paceTokens + (now - this.paceAt) * rate);
    this.paceAt = now;
  }

  /** When the bucket next holds a whole token. */
  private nextPaceToken(): number {
    const rate = Math.max(1, this.limit - this.reserved()) / this.windowMs;
    return this.paceAt + (1 - this.paceTokens) / rate;
  }

  private purposeState(purpose: BudgetPurpose): PurposeState {
    const stats = this.stats.get(purpose)!;
    const lane = this.lanes.get(purpose)!;
    const recent = Array.from(stats.recent.subarray(0, Math.min(stats.recentCount, RECENT_WAITS))).sort(
      (a, b) => a - b,
    );
    return {
      queued: lane.items.length - lane.head,
      granted: stats.granted,
      waitedMs: Math.round(stats.waitedMs),
      recentWait: {
        p50: Math.round(percentile(recent, 50)),
        p99: Math.round(percentile(recent, 99)),
        max: Math.round(recent.at(-1) ?? 0),
      },
    };
  }

  private enqueue(waiter: Waiter, front: boolean): void {
    const lane = this.lanes.get(waiter.purpose)!;
    if (!front) lane.items.push(waiter);
    else if (lane.head > 0) lane.items[--lane.head] = waiter;
    else lane.items.unshift(waiter);
    this.queued++;
  }

  private peek(purpose: BudgetPurpose): Waiter | undefined {
    const lane = this.lanes.get(purpose)!;
    return lane.head < lane.items.length ? lane.items[lane.head] : undefined;
  }

  private dequeue(purpose: BudgetPurpose): Waiter | undefined {
    const lane = this.lanes.get(purpose)!;
    if (lane.head >= lane.items.length) return undefined;
    const waiter = lane.items[lane.head]!;
    lane.head++;
    this.queued--;
    if (lane.head === lane.items.length) {
      lane.items = [];
      lane.head = 0;
    } else if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
      lane.items = lane.items.slice(lane.head);
      lane.head = 0;
    }
    return waiter;
  }

  private remove(waiter: Waiter): void {
    const lane = this.lanes.get(waiter.purpose)!;
    const index = lane.items.indexOf(waiter, lane.head);
    if (index < 0) return;
    lane.items.splice(index, 1);
    this.queued--;
  }

  /**
   * The shared purpose to serve next: among those waiting, the one furthest below its share of recent grants;
   * ties go to the earlier purpose (enrichment, backfill, proactive, other).
   */
  private nextShared(now: number): SharedPurpose | undefined {
    this.decayUsage(now);
    let best: SharedPurpose | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const purpose of SHARED) {
      if (!this.peek(purpose)) continue;
      const score = this.stats.get(purpose)!.usage / this.shares[purpose];
      if (score < bestScore) {
        best = purpose;
        bestScore = score;
      }
    }
    return best;
  }

  private decayUsage(now: number): void {
    const elapsed = now - this.usageAt;
    if (elapsed <= 0) return;
    const factor = Math.exp(-elapsed / this.windowMs);
    for (const stats of this.stats.values()) stats.usage *= factor;
    this.usageAt = now;
  }

  private prune(now: number): void {
    while (this.coolingHead < this.cooling.length && this.cooling[this.coolingHead]! <= now)
      this.coolingHead++;
    if (this.coolingHead > 1024 && this.coolingHead * 2 > this.cooling.length) {
      this.cooling = this.cooling.slice(this.coolingHead);
      this.coolingHead = 0;
    }
  }

  /** Slots free by our own accounting, further capped by what the platform says is left in its window. */
  private freeSlots(now: number): number {
    let free = this.limit - this.inFlight - (this.cooling.length - this.coolingHead);
    if (this.server && now < this.server.resetAt) {
      free = Math.min(free, this.server.allowed - this.server.count - this.server.grantedSince);
    }
    return free;
  }

  /** When grants may resume regardless of slots: end of a 429 pause, or of an exhausted server window. */
  private blockedUntil(now: number): number {
    let until = this.pausedUntil > now ? this.pausedUntil : 0;
    const server = this.server;
    if (server && now < server.resetAt && server.allowed - server.count - server.grantedSince <= 0) {
      until = Math.max(until, server.resetAt);
    }
    return until;
  }

  private pump(): void {
    if (this.closed) return;
    const now = performance.now();
    this.prune(now);
    const blocked = this.blockedUntil(now);
    if (blocked > now) {
      if (this.queued > 0) this.schedule(blocked);
      return;
    }
    // Channel calls first: any free slot, the reserved ones included, and no pacing.
    while (this.peek('channel') && this.freeSlots(now) >= 1) this.grant(this.dequeue('channel')!, now);
    let pacedUntil: number | undefined;
    for (let purpose = this.nextShared(now); purpose; purpose = this.nextShared(now)) {
      if (this.freeSlots(now) < this.reserved() + 1) break;
      if (this.pace) {
        this.refill(now);
        if (this.paceTokens < 1) {
          pacedUntil = this.nextPaceToken();
          break;
        }
        this.paceTokens -= 1;
      }
      this.grant(this.dequeue(purpose)!, now);
    }
    if (this.queued === 0) return;
    // Otherwise a release (which pumps), a slot cooling down, or the end of the platform's window frees a slot: the
    // platform's count may leave fewer slots than the reserve with nothing of ours in flight or cooling (another
    // process used its window), and then only its reset does.
    const cooled = this.coolingHead < this.cooling.length ? this.cooling[this.coolingHead]! : undefined;
    const serverReset = this.server && now < this.server.resetAt ? this.server.resetAt : undefined;
    const wake = Math.min(
      pacedUntil ?? Number.POSITIVE_INFINITY,
      cooled ?? Number.POSITIVE_INFINITY,
      serverReset ?? Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(wake)) this.schedule(wake);
  }

  private grant(waiter: Waiter, now: number): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.inFlight++;
    if (this.server) this.server.grantedSince++;
    const waited = Math.max(0, now - waiter.enqueuedAt);
    const stats = this.stats.get(waiter.purpose)!;
    stats.granted++;
    stats.waitedMs += waited;
    stats.recent[stats.recentCount % RECENT_WAITS] = waited;
    stats.recentCount++;
    stats.usage += 1;
    for (const listener of this.listeners) listener(waiter.purpose, waited);
    let released = false;
    waiter.resolve({
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.cooling.push(performance.now() + this.windowMs + this.marginMs);
        this.pump();
      },
    });
  }

  private schedule(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(at - performance.now())),
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
