/**
 * Fault injection: the things the real platform does to a client on a bad day — sockets dropped, heartbeats that
 * stop, `socket_closing`, channels and tokens that end, failing, slow, cut or throttled requests — on demand, through
 * `POST /__emulator/faults` (JSON, no auth) or the {@link EmulatorFaults} methods.
 */
import { z } from 'zod';
import type { TokenSelector, TokenStore } from './auth/tokens.js';
import type { ChannelSelector } from './notifications/channels.js';
import type { NotificationHub } from './notifications/hub.js';
import { type RateLimiter, rateLimitedResponse } from './rate-limit.js';
import { type EmulatorResponse, platformError, type Router } from './router.js';
import type { EmulatorSettings } from './settings.js';

const selector = { channelId: z.string().optional(), clientId: z.string().optional() };
const tokenSelector = { clientId: z.string().optional(), tokenId: z.string().optional() };
/** Which requests a request fault applies to. */
const requestMatch = {
  /** Path prefix, e.g. `/api/v2/analytics`. */
  path: z.string().optional(),
  /** Regular expression tested against the path (instead of a prefix). */
  pathPattern: z.string().optional(),
  method: z.string().optional(),
};

/** Every fault command `POST /__emulator/faults` accepts (one object, or an array of them). */
export const FaultCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('drop-sockets'), ...selector }),
  z.object({
    type: z.literal('stop-heartbeats'),
    seconds: z.number().positive(),
    /** Events are withheld too unless false: a dead socket says nothing at all. */
    dropEvents: z.boolean().optional(),
    ...selector,
  }),
  z.object({
    type: z.literal('socket-closing'),
    closeAfterMs: z.number().nonnegative().optional(),
    ...selector,
  }),
  z.object({ type: z.literal('expire-channels'), ...selector }),
  /** The network goes away: every socket cut, every connection (REST, OAuth, WebSocket) refused for `seconds`. */
  z.object({ type: z.literal('blackout'), seconds: z.number().positive() }),
  z.object({
    type: z.literal('no-longer-subscribed'),
    topics: z.array(z.string()).optional(),
    ...selector,
  }),
  z.object({ type: z.literal('revoke-tokens'), ...tokenSelector }),
  z.object({ type: z.literal('expire-tokens'), ...tokenSelector }),
  z.object({
    type: z.literal('fail-requests'),
    ...requestMatch,
    count: z.number().int().positive().default(1),
    status: z.number().int().min(400).max(599).default(503),
    retryAfterSeconds: z.number().nonnegative().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
  /** The next `count` matching requests (OAuth included) are answered only after `delayMs`. */
  z.object({
    type: z.literal('delay-requests'),
    ...requestMatch,
    count: z.number().int().positive().default(1),
    delayMs: z.number().int().positive(),
  }),
  /**
   * The next `count` matching requests are served but their reply is lost: the connection is destroyed before a
   * byte of it is sent, or, with `midResponse`, after the status line, the headers and half the body.
   */
  z.object({
    type: z.literal('cut-requests'),
    ...requestMatch,
    count: z.number().int().positive().default(1),
    midResponse: z.boolean().optional(),
  }),
  z.object({ type: z.literal('clear-request-faults') }),
  z.object({ type: z.literal('rate-limit'), perMinute: z.number().int().positive() }),
  z.object({ type: z.literal('traffic'), conversationsPerMinute: z.number().nonnegative() }),
  z.object({ type: z.literal('reset-peaks') }),
]);

export type FaultCommand = z.infer<typeof FaultCommandSchema>;
export type RequestFaultInput = Omit<
  Extract<FaultCommand, { type: 'fail-requests' }>,
  'type' | 'count' | 'status'
> & {
  count?: number;
  status?: number;
};

/** Outcome of one fault: what it touched. */
export interface FaultResult {
  type: FaultCommand['type'];
  affected: number;
}

/** Which requests a delay or a cut applies to, and how many. */
export type RequestMatchInput = {
  path?: string;
  pathPattern?: string;
  method?: string;
  count?: number;
};
export type DelayFaultInput = RequestMatchInput & { delayMs: number };
export type CutFaultInput = RequestMatchInput & { midResponse?: boolean };

/** How a cut request's reply is lost. */
export interface RequestCut {
  midResponse: boolean;
}

type RequestFaultAction =
  | { kind: 'fail'; response: () => EmulatorResponse }
  | { kind: 'delay'; ms: number }
  | { kind: 'cut'; cut: RequestCut };

interface RequestFaultRule {
  test: (method: string, path: string) => boolean;
  remaining: number;
  action: RequestFaultAction;
}

function requestTest(input: RequestMatchInput): (method: string, path: string) => boolean {
  const pattern = input.pathPattern === undefined ? undefined : new RegExp(input.pathPattern);
  const prefix = input.path ?? '';
  const method = input.method?.toUpperCase();
  return (requestMethod, path) =>
    (method === undefined || method === requestMethod) &&
    (pattern ? pattern.test(path) : path.startsWith(prefix));
}

/** The platform code that goes with a status. */
function codeForStatus(status: number): string {
  if (status === 429) return 'too.many.requests.retry.after';
  if (status === 404) return 'not.found';
  if (status === 401) return 'authentication.required';
  if (status === 403) return 'not.authorized';
  if (status === 502 || status === 503 || status === 504) return 'service.unavailable';
  return status < 500 ? 'bad.request' : 'internal.server.error';
}

/** Rules that make the next N matching requests fail, wait or lose their reply. */
export class RequestFaults {
  private rules: RequestFaultRule[] = [];

  /** Adds a failure rule; requests are matched by path prefix or pattern and, optionally, method. */
  add(input: RequestFaultInput): void {
    const status = input.status ?? 503;
    this.rules.push({
      test: requestTest(input),
      remaining: input.count ?? 1,
      action: {
        kind: 'fail',
        response: () => {
          if (status === 429 && input.code === undefined && input.message === undefined) {
            return rateLimitedResponse(input.retryAfterSeconds ?? 1);
          }
          const headers =
            input.retryAfterSeconds === undefined
              ? undefined
              : { 'retry-after': String(input.retryAfterSeconds) };
          return platformError(
            status,
            input.code ?? codeForStatus(status),
            input.message ?? `Injected failure (${status}).`,
            {},
            headers,
          );
        },
      },
    });
  }

  /** Adds a delay rule: matching requests are answered `delayMs` late. */
  addDelay(input: DelayFaultInput): void {
    this.rules.push({
      test: requestTest(input),
      remaining: input.count ?? 1,
      action: { kind: 'delay', ms: input.delayMs },
    });
  }

  /** Adds a cut rule: matching requests are served and their reply lost. */
  addCut(input: CutFaultInput): void {
    this.rules.push({
      test: requestTest(input),
      remaining: input.count ?? 1,
      action: { kind: 'cut', cut: { midResponse: input.midResponse ?? false } },
    });
  }

  /** The failure to answer for this request, consuming one use of the first matching rule. */
  take(method: string, path: string): EmulatorResponse | undefined {
    const action = this.consume('fail', method, path);
    return action?.kind === 'fail' ? action.response() : undefined;
  }

  /** How long to hold this request before serving it (0: not at all), consuming one use of a delay rule. */
  takeDelay(method: string, path: string): number {
    const action = this.consume('delay', method, path);
    return action?.kind === 'delay' ? action.ms : 0;
  }

  /** How this request's reply is to be lost, if it is, consuming one use of a cut rule. */
  takeCut(method: string, path: string): RequestCut | undefined {
    const action = this.consume('cut', method, path);
    return action?.kind === 'cut' ? action.cut : undefined;
  }

  private consume(
    kind: RequestFaultAction['kind'],
    method: string,
    path: string,
  ): RequestFaultAction | undefined {
    const rule = this.rules.find(
      (candidate) => candidate.action.kind === kind && candidate.test(method, path),
    );
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== rule);
    return rule.action;
  }

  /** Failures still to be served. */
  get pending(): number {
    return this.rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  clear(): void {
    this.rules = [];
  }
}

/**
 * A network blackout: while it lasts every request and WebSocket upgrade is cut without an answer (the admin routes
 * under `/__emulator/` excepted, so a test can still read its oracles).
 */
export class NetworkBlackout {
  private until = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts (or extends) a blackout of `ms` from now. */
  start(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
  }

  get active(): boolean {
    return this.now() < this.until;
  }
}

/** What faults act upon. */
export interface FaultTargets {
  blackout: NetworkBlackout;
  hub: NotificationHub;
  tokens: TokenStore;
  limiter: RateLimiter;
  requestFaults: RequestFaults;
  settings: EmulatorSettings;
  /** Changes simulated traffic; absent when the emulator runs without a world. */
  setTraffic?: (conversationsPerMinute: number) => void;
}

/** The programmatic fault API of a running emulator. */
export class EmulatorFaults {
  constructor(private readonly targets: FaultTargets) {}

  /** Cuts sockets without a close frame (channels stay valid; clients reconnect to the same URI). */
  dropSockets(target: ChannelSelector = {}): number {
    return this.targets.hub.dropSockets(target);
  }

  /** No heartbeats and no pongs (nor events, unless `dropEvents` is false) for `seconds`. */
  stopHeartbeats(seconds: number, target: ChannelSelector = {}, dropEvents = true): number {
    return this.targets.hub.silence(target, seconds * 1000, dropEvents);
  }

  /** Sends `v2.system.socket_closing` and closes the sockets after `closeAfterMs`. */
  socketClosing(
    closeAfterMs = this.targets.settings.socketClosingDelayMs,
    target: ChannelSelector = {},
  ): number {
    return this.targets.hub.socketClosing(target, closeAfterMs);
  }

  /** Cuts every socket and refuses every connection for `seconds` (channels stay valid). */
  blackout(seconds: number): number {
    this.targets.blackout.start(seconds * 1000);
    return this.targets.hub.dropSockets({});
  }

  /** Ends channels now (HEAD answers 404, sockets close). */
  expireChannels(target: ChannelSelector = {}): number {
    return this.targets.hub.expireChannels(target);
  }

  /** Drops topics (all when none named) and sends `v2.system.no_longer_subscribed.<channelId>`. */
  noLongerSubscribed(target: ChannelSelector = {}, topics?: string[]): number {
    return this.targets.hub.noLongerSubscribed(target, topics);
  }

  /** Revokes tokens: REST answers 401 and the channels they created end with `token_revoked`. */
  revokeTokens(target: TokenSelector = {}): number {
    return this.targets.tokens.revoke(target).length;
  }

  /** Expires tokens now: REST answers 401 `credentials.expired` and their channels end. */
  expireTokens(target: TokenSelector = {}): number {
    return this.targets.tokens.expire(target).length;
  }

  /** Fails the next `count` requests whose path matches. */
  failRequests(rule: RequestFaultInput): void {
    if (rule.pathPattern !== undefined) new RegExp(rule.pathPattern); // throws on a bad pattern, before storing
    this.targets.requestFaults.add(rule);
  }

  /** Holds the next `count` matching requests for `delayMs` before serving them. */
  delayRequests(rule: DelayFaultInput): void {
    if (rule.pathPattern !== undefined) new RegExp(rule.pathPattern);
    this.targets.requestFaults.addDelay(rule);
  }

  /** Serves the next `count` matching requests and loses their reply (the connection destroyed). */
  cutRequests(rule: CutFaultInput): void {
    if (rule.pathPattern !== undefined) new RegExp(rule.pathPattern);
    this.targets.requestFaults.addCut(rule);
  }

  /** Forgets every pending request fault: failures, delays and cuts. */
  clearRequestFaults(): void {
    this.targets.requestFaults.clear();
  }

  /** Changes the per-token limit of requests per minute. */
  setRateLimit(perMinute: number): void {
    this.targets.limiter.setLimit(perMinute);
    this.targets.settings.rateLimitPerMinute = perMinute;
  }

  /** Changes simulated traffic; returns false when there is no world to change. */
  setTraffic(conversationsPerMinute: number): boolean {
    if (!this.targets.setTraffic) return false;
    this.targets.setTraffic(conversationsPerMinute);
    return true;
  }

  /** Applies one parsed command. */
  apply(command: FaultCommand): FaultResult {
    const target = pickSelector(command as { channelId?: string; clientId?: string });
    const result = (affected: number): FaultResult => ({ type: command.type, affected });
    switch (command.type) {
      case 'drop-sockets':
        return result(this.dropSockets(target));
      case 'stop-heartbeats':
        return result(this.stopHeartbeats(command.seconds, target, command.dropEvents ?? true));
      case 'socket-closing':
        return result(this.socketClosing(command.closeAfterMs, target));
      case 'expire-channels':
        return result(this.expireChannels(target));
      case 'blackout':
        return result(this.blackout(command.seconds));
      case 'no-longer-subscribed':
        return result(this.noLongerSubscribed(target, command.topics));
      case 'revoke-tokens':
        return result(this.revokeTokens(pickTokenSelector(command)));
      case 'expire-tokens':
        return result(this.expireTokens(pickTokenSelector(command)));
      case 'fail-requests': {
        const { type: _type, ...rule } = command;
        this.failRequests(rule);
        return result(command.count);
      }
      case 'delay-requests': {
        const { type: _type, ...rule } = command;
        this.delayRequests(rule);
        return result(command.count);
      }
      case 'cut-requests': {
        const { type: _type, ...rule } = command;
        this.cutRequests(rule);
        return result(command.count);
      }
      case 'clear-request-faults':
        this.clearRequestFaults();
        return result(0);
      case 'rate-limit':
        this.setRateLimit(command.perMinute);
        return result(1);
      case 'traffic':
        return result(this.setTraffic(command.conversationsPerMinute) ? 1 : 0);
      case 'reset-peaks':
        this.targets.hub.resetPeaks();
        return result(0);
    }
  }
}

function pickSelector(command: { channelId?: string; clientId?: string }): ChannelSelector {
  const target: ChannelSelector = {};
  if (command.channelId !== undefined) target.channelId = command.channelId;
  if (command.clientId !== undefined) target.clientId = command.clientId;
  return target;
}

function pickTokenSelector(command: { clientId?: string; tokenId?: string }): TokenSelector {
  const target: TokenSelector = {};
  if (command.clientId !== undefined) target.clientId = command.clientId;
  if (command.tokenId !== undefined) target.tokenId = command.tokenId;
  return target;
}

/** Registers `POST /__emulator/faults`: one command or an array, answered with what each touched. */
export function registerFaultRoutes(router: Router, faults: EmulatorFaults): void {
  router.add(
    'POST',
    '/__emulator/faults',
    (request) => {
      const parsed = z.union([FaultCommandSchema, z.array(FaultCommandSchema)]).safeParse(request.body);
      if (!parsed.success) {
        return platformError(400, 'bad.request', `Invalid fault command: ${z.prettifyError(parsed.error)}`);
      }
      const commands = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
      try {
        const results = commands.map((command) => faults.apply(command));
        return { status: 200, body: Array.isArray(parsed.data) ? results : results[0] };
      } catch (error) {
        return platformError(400, 'bad.request', `Fault not applied: ${(error as Error).message}`);
      }
    },
    { auth: false, rateLimited: false },
  );
}
