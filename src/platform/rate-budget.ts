/**
 * The request budget of one access token (Genesys Cloud: 300 requests per minute per client-credentials token by
 * default). Callers queue for a slot instead of provoking 429s.
 *
 * Model: a slot is held while its request is in flight and comes back `windowMs` after the response arrived.
 * Because a response cannot arrive before the server saw the request, any N+1 consecutive requests then reach
 * the server at least one window apart, so no window of the server's — fixed or sliding, however aligned — ever
 * counts more than N of ours. The `inin-ratelimit-*` headers adjust the limit and reveal use of the same token
 * by other processes; a 429 pauses the whole budget for its Retry-After.
 */
import { performance } from 'node:perf_hooks';
import { SwitchboardError } from '../errors.js';

export interface RateBudgetOptions {
  /** Requests allowed per window (platform default: 300 per minute). */
  requestsPerWindow?: number;
  /** Window length in ms (platform: 60,000). Tests use short windows. */
  windowMs?: number;
  /** Take the limit the platform reports in `inin-ratelimit-allowed` (default true). */
  adoptServerLimit?: boolean;
  /** Slots of each window that only callers with priority ≥ `reservedPriority` may take (default 0). */
  reservedSlots?: number;
  /** Priority that may use the reserved slots (default 1). */
  reservedPriority?: number;
  /** Extra cool-down per slot, against timer and clock skew (default 5 ms). */
  marginMs?: number;
}

export interface AcquireOptions {
  /** Higher goes first; FIFO within a priority (default 0). */
  priority?: number;
  /** Put this caller at the head of its priority (a retry keeps its place). */
  front?: boolean;
  signal?: AbortSignal;
}

/** A granted slot. Call `release()` once the response (or the failure) is in. */
export interface BudgetSlot {
  release(): void;
}

/** Current state of the budget, for metrics and for callers that want to be polite. */
export interface BudgetState {
  limit: number;
  windowMs: number;
  /** Slots a caller of default priority could take right now. */
  available: number;
  inFlight: number;
  queued: number;
  /** ms until a 429 pause (or an exhausted server-reported window) ends; 0 when not paused. */
  pausedForMs: number;
  /** What the platform last reported, if it did. */
  server?: { allowed: number; count: number; resetInMs: number };
}

interface Lane {
  items: Waiter[];
  head: number;
}

interface Waiter {
  priority: number;
  resolve: (slot: BudgetSlot) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

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

/** A FIFO-with-priority queue in front of a per-token request budget. */
export class RateBudget {
  private limit: number;
  readonly windowMs: number;
  private readonly adoptServerLimit: boolean;
  private readonly reservedSlots: number;
  private readonly reservedPriority: number;
  private readonly marginMs: number;

  private inFlight = 0;
  /** Times (performance.now) at which cooling slots come back, ascending. */
  private cooling: number[] = [];
  private coolingHead = 0;
  /** Waiters per priority, FIFO within each; `priorities` lists the lanes in use, highest first. */
  private readonly lanes = new Map<number, Lane>();
  private priorities: number[] = [];
  private queued = 0;
  private pausedUntil = 0;
  private server: { allowed: number; count: number; resetAt: number; grantedSince: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private closed = false;

  constructor(options: RateBudgetOptions = {}) {
    this.limit = Math.max(1, Math.floor(options.requestsPerWindow ?? 300));
    this.windowMs = Math.max(1, options.windowMs ?? 60_000);
    this.adoptServerLimit = options.adoptServerLimit ?? true;
    this.reservedSlots = Math.max(0, Math.floor(options.reservedSlots ?? 0));
    this.reservedPriority = options.reservedPriority ?? 1;
    this.marginMs = Math.max(0, options.marginMs ?? 5);
  }

  /** Waits for a slot. Rejects with ClientClosedError on close, or the signal's reason on abort. */
  acquire(options: AcquireOptions = {}): Promise<BudgetSlot> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<BudgetSlot>((resolve, reject) => {
      const waiter: Waiter = { priority: options.priority ?? 0, resolve, reject, signal, onAbort: undefined };
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

  /** Current limits, occupancy and queue length. */
  state(): BudgetState {
    const now = performance.now();
    this.prune(now);
    const state: BudgetState = {
      limit: this.limit,
      windowMs: this.windowMs,
      available: Math.max(0, this.freeSlots(now) - this.reservedSlots),
      inFlight: this.inFlight,
      queued: this.queued,
      pausedForMs: Math.max(0, Math.ceil(this.blockedUntil(now) - now)),
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
    for (let waiter = this.dequeue(); waiter; waiter = this.dequeue()) {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new ClientClosedError());
    }
  }

  private enqueue(waiter: Waiter, front: boolean): void {
    let lane = this.lanes.get(waiter.priority);
    if (!lane) {
      lane = { items: [], head: 0 };
      this.lanes.set(waiter.priority, lane);
      this.priorities = [...this.lanes.keys()].sort((a, b) => b - a);
    }
    if (!front) lane.items.push(waiter);
    else if (lane.head > 0) lane.items[--lane.head] = waiter;
    else lane.items.unshift(waiter);
    this.queued++;
  }

  /** The next waiter in line (highest priority, then oldest), without removing it. */
  private peek(): Waiter | undefined {
    for (const priority of this.priorities) {
      const lane = this.lanes.get(priority)!;
      if (lane.head < lane.items.length) return lane.items[lane.head];
    }
    return undefined;
  }

  private dequeue(): Waiter | undefined {
    for (const priority of this.priorities) {
      const lane = this.lanes.get(priority)!;
      if (lane.head >= lane.items.length) continue;
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
    return undefined;
  }

  private remove(waiter: Waiter): void {
    const lane = this.lanes.get(waiter.priority);
    if (!lane) return;
    const index = lane.items.indexOf(waiter, lane.head);
    if (index < 0) return;
    lane.items.splice(index, 1);
    this.queued--;
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
    for (let head = this.peek(); head; head = this.peek()) {
      const free = this.freeSlots(now);
      const needed = head.priority >= this.reservedPriority ? 1 : this.reservedSlots + 1;
      if (free < needed) break;
      this.dequeue();
      this.grant(head);
    }
    if (this.queued > 0 && this.coolingHead < this.cooling.length) {
      // Otherwise only a release (which pumps) can free a slot.
      this.schedule(this.cooling[this.coolingHead]!);
    }
  }

  private grant(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    this.inFlight++;
    if (this.server) this.server.grantedSince++;
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
