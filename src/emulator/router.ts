/**
 * The emulator's route table: the seam between the HTTP shell (server, auth, rate limits, faults) and the parts
 * that own platform resources (org, conversations, analytics, notifications). A module registers its routes with
 * {@link Router.add}; the shell authenticates, paces and dispatches.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Who is calling, as established from the bearer token by the shell. */
export interface CallerIdentity {
  clientId: string;
  /** Permissions granted through the client's roles, e.g. `conversation:message:create`; `*` grants all. */
  permissions: ReadonlySet<string>;
  /** Set only for user-context tokens (a user who can act as a conversation participant). */
  userId?: string;
  tokenId: string;
}

export interface EmulatorRequest {
  method: string;
  /** Path without query, e.g. `/api/v2/conversations/abc`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (or form fields for form posts); `undefined` when there was none. */
  body: unknown;
  /** Values of `{name}` segments of the matched pattern. */
  params: Record<string, string>;
  /** Present on every route registered with `auth: true` (the default). */
  caller?: CallerIdentity;
  /** The correlation id this response will carry. */
  correlationId: string;
}

export interface EmulatorResponse {
  status: number;
  /** Serialised as JSON unless it is a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

export interface RouteOptions {
  /** Require a valid bearer token (default true). */
  auth?: boolean;
  /** Permissions of which the caller needs at least one; a 403 `missing.permissions` names them otherwise. */
  permissions?: string[];
  /** Counted against the caller's rate limit (default true for `/api/v2`, false elsewhere). */
  rateLimited?: boolean;
}

export interface Route extends Required<Pick<RouteOptions, 'auth'>> {
  method: string;
  pattern: string;
  permissions: string[];
  rateLimited: boolean | undefined;
  handler: RouteHandler;
  segments: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Method + path pattern (`/api/v2/notifications/channels/{channelId}`) → handler. */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers a route. Literal segments win over `{param}` segments when both match. */
  add(method: string, pattern: string, handler: RouteHandler, options: RouteOptions = {}): this {
    this.routes.push({
      method: method.toUpperCase(),
      pattern,
      handler,
      auth: options.auth ?? true,
      permissions: options.permissions ?? [],
      rateLimited: options.rateLimited,
      segments: pattern.split('/').filter(Boolean),
    });
    return this;
  }

  /** Every registered route, in registration order (the conformance suite walks them). */
  list(): readonly Route[] {
    return this.routes;
  }

  /**
   * Finds the route for a request. Returns `{ allowed }` with the methods that would match when the path is known
   * but the method is not (the shell answers 405 then), and `undefined` when the path is unknown (404).
   */
  match(method: string, path: string): RouteMatch | { allowed: string[] } | undefined {
    const parts = path.split('/').filter(Boolean);
    let best: { match: RouteMatch; literals: number } | undefined;
    const allowed = new Set<string>();
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const segment = route.segments[i]!;
        const part = parts[i]!;
        if (segment.startsWith('{') && segment.endsWith('}')) {
          params[segment.slice(1, -1)] = decodeURIComponent(part);
        } else if (segment === part) {
          literals++;
        } else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (route.method !== method.toUpperCase()) {
        allowed.add(route.method);
        continue;
      }
      if (!best || literals > best.literals) best = { match: { route, params }, literals };
    }
    if (best) return best.match;
    if (allowed.size > 0) return { allowed: [...allowed] };
    return undefined;
  }
}

/** Body of a platform error, in the shape Genesys Cloud uses for every REST error. */
export interface PlatformErrorBody {
  message: string;
  code: string;
  status: number;
  /** Values are strings on the platform, numbers included. */
  messageParams: Record<string, string>;
  contextId: string;
  details: unknown[];
  errors: unknown[];
}

/** Builds a platform-shaped error response. `contextId` is filled with the correlation id by the shell. */
export function platformError(
  status: number,
  code: string,
  message: string,
  messageParams: Record<string, string | number | undefined> = {},
  headers?: Record<string, string>,
): EmulatorResponse {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(messageParams))
    if (value !== undefined) params[key] = String(value);
  const body: PlatformErrorBody = {
    message,
    code,
    status,
    messageParams: params,
    contextId: '',
    details: [],
    errors: [],
  };
  return headers ? { status, body, headers } : { status, body };
}
