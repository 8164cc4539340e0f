/**
 * The outbound proxy, from the environment as curl reads it. `https://` and `wss://` (the platform's REST, login and
 * notification hosts) go through `HTTPS_PROXY`; `http://` and `ws://` (an emulator or gateway) through `HTTP_PROXY`;
 * hosts listed in `NO_PROXY` are reached directly. Lower-case names (`https_proxy`, `no_proxy`) win over upper-case
 * ones, an empty value counts as unset, and a proxy given without a scheme is `http://`. `ALL_PROXY` is not read.
 *
 * One decision serves REST and WebSocket alike: whether a URL is proxied is `proxy-from-env`'s `getProxyForUrl`
 * (the matching axios uses: `example.com` is that host, `.example.com` and `*.example.com` its subdomains, `host:port`
 * one port, `*` everything). REST then goes through an undici `ProxyAgent` and undici's own fetch (a CONNECT tunnel
 * for every target); WebSockets through an `HttpsProxyAgent` (a CONNECT tunnel, TLS inside it for `wss://`).
 *
 * With none of these variables set nothing changes: Node's global fetch and `ws`'s own connection, as before.
 * A proxy URL may hold credentials (`http://user:pass@proxy:3128`): they go to the proxy in `Proxy-Authorization` and
 * nowhere else. What is shown is `host:port` only.
 */
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { ProxyAgent } from 'undici';
import { ConfigError } from '../errors.js';
import type { ResolvedRegion } from './region.js';

type TargetKind = 'http' | 'https';

/** The variables read for each kind of target, in order of precedence. */
const PROXY_VARIABLES: Record<TargetKind, readonly string[]> = {
  https: ['https_proxy', 'HTTPS_PROXY'],
  http: ['http_proxy', 'HTTP_PROXY'],
};
const NO_PROXY_VARIABLES = ['no_proxy', 'NO_PROXY'] as const;

/** The proxy one URL goes through. */
export interface ProxyChoice {
  /** The proxy as configured, credentials included: for the agents only, never to be logged. */
  url: URL;
  /** `host:port` of the proxy: what may be shown. */
  display: string;
  /** The variable it came from (`HTTPS_PROXY`, `http_proxy`, ...). */
  variable: string;
}

/** A proxy variable that cannot be used. */
export class ProxySettingError extends ConfigError {}

function firstSet(names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = process.env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function targetKind(target: URL): TargetKind | undefined {
  switch (target.protocol) {
    case 'https:':
    case 'wss:':
      return 'https';
    case 'http:':
    case 'ws:':
      return 'http';
    default:
      return undefined;
  }
}

/** `host:port` of a proxy URL (the port the scheme implies when none is given). */
export function proxyDisplay(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** A proxy variable's value as a URL; throws ProxySettingError (without the value, which may hold a password). */
function parseProxy(variable: string, value: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxySettingError(`${variable} is not a URL`, {
      hint: `Set ${variable} to the proxy's address, e.g. http://proxy.example.com:3128 (credentials as http://user:password@host:port).`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProxySettingError(
      `${variable} names a ${url.protocol.slice(0, -1)} proxy at ${proxyDisplay(url)}; only HTTP(S) proxies are supported`,
      { hint: `Set ${variable} to an http:// (or https://) proxy that accepts CONNECT.` },
    );
  }
  if (url.hostname === '') {
    throw new ProxySettingError(`${variable} has no host`, {
      hint: `Set ${variable} to the proxy's address, e.g. http://proxy.example.com:3128.`,
    });
  }
  return url;
}

/** The `http://` or `https://` twin of a `ws://` or `wss://` URL, which is what the proxy variables are read for. */
function asHttp(target: URL): string {
  if (target.protocol === 'ws:' || target.protocol === 'wss:') {
    const twin = new URL(target.href);
    twin.protocol = target.protocol === 'ws:' ? 'http:' : 'https:';
    return twin.href;
  }
  return target.href;
}

/**
 * The proxy `target` goes through, or undefined to reach it directly (no proxy variable for its scheme, or NO_PROXY
 * names it). Reads the environment at each call. Throws ProxySettingError when the variable that applies is unusable.
 */
export function proxyFor(target: string | URL): ProxyChoice | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const kind = targetKind(url);
  if (!kind) return undefined;
  const setting = firstSet(PROXY_VARIABLES[kind]);
  if (!setting) return undefined;
  // With the variable for this scheme set, getProxyForUrl answers '' only when NO_PROXY names the target.
  if (getProxyForUrl(asHttp(url)) === '') return undefined;
  const proxy = parseProxy(setting.name, setting.value);
  return { url: proxy, display: proxyDisplay(proxy), variable: setting.name };
}

/** True when any proxy variable is set: without one, every connection is made as it always was. */
export function proxyConfigured(): boolean {
  return firstSet([...PROXY_VARIABLES.https, ...PROXY_VARIABLES.http]) !== undefined;
}

const dispatchers = new Map<string, ProxyAgent>();
const socketAgents = new Map<string, HttpsProxyAgent<string>>();

/** The undici dispatcher for a fetch to `target` (use with undici's own fetch), or undefined for a direct one. */
export function fetchDispatcherFor(
  target: string | URL,
): { dispatcher: ProxyAgent; proxy: ProxyChoice } | undefined {
  const proxy = proxyFor(target);
  if (!proxy) return undefined;
  let dispatcher = dispatchers.get(proxy.url.href);
  if (!dispatcher) {
    dispatcher = new ProxyAgent({ uri: proxy.url.href });
    dispatchers.set(proxy.url.href, dispatcher);
  }
  return { dispatcher, proxy };
}

/** The `agent` option for a `ws` WebSocket to `target`, or undefined to connect directly. */
export function webSocketAgentFor(target: string | URL): HttpsProxyAgent<string> | undefined {
  const proxy = proxyFor(target);
  if (!proxy) return undefined;
  let agent = socketAgents.get(proxy.url.href);
  if (!agent) {
    agent = new HttpsProxyAgent(proxy.url.href);
    socketAgents.set(proxy.url.href, agent);
  }
  return agent;
}

/** Closes the proxy dispatchers and agents made so far (tests; a process that exits need not). */
export async function closeProxyAgents(): Promise<void> {
  const closing = [...dispatchers.values()].map((dispatcher) => dispatcher.close());
  dispatchers.clear();
  for (const agent of socketAgents.values()) agent.destroy();
  socketAgents.clear();
  await Promise.allSettled(closing);
}

/** How one of the platform's places is reached. */
export interface ProxyRoute {
  /** `rest`, `login` or `notifications`. */
  role: 'rest' | 'login' | 'notifications';
  /** The host (and port) reached. */
  target: string;
  /** `host:port` of the proxy, or undefined when reached directly. */
  via: string | undefined;
  /** The variable that chose the proxy, or `NO_PROXY` when one applies to the scheme but NO_PROXY names the host. */
  variable: string | undefined;
}

/** What the start-up line says about proxies: each route, and the line itself. */
export interface ProxySummary {
  routes: ProxyRoute[];
  /** e.g. `proxy proxy.example.com:3128 (HTTPS_PROXY) for REST api.mypurecloud.ie, login ..., notifications ...`. */
  line: string;
}

/**
 * What to tell the operator at start about proxies, for `region`; undefined when no proxy variable is set (then
 * nothing is said, and nothing changed). Shows `host:port` of each proxy, never its credentials.
 * Throws ProxySettingError when a variable that applies is unusable, so a bad setting is refused at start.
 */
export function describeProxy(region: ResolvedRegion): ProxySummary | undefined {
  if (!proxyConfigured()) return undefined;
  const places: Array<[ProxyRoute['role'], string]> = [
    ['rest', region.apiBaseUrl],
    ['login', region.loginBaseUrl],
  ];
  if (region.streamingBaseUrl) places.push(['notifications', region.streamingBaseUrl]);
  const routes = places.map(([role, base]): ProxyRoute => {
    const url = new URL(base);
    const proxy = proxyFor(url);
    const kind = targetKind(url);
    const bypassed = !proxy && kind !== undefined && firstSet(PROXY_VARIABLES[kind]) !== undefined;
    return {
      role,
      target: url.host,
      via: proxy?.display,
      variable:
        proxy?.variable ?? (bypassed ? (firstSet(NO_PROXY_VARIABLES)?.name ?? 'NO_PROXY') : undefined),
    };
  });
  const groups = new Map<string, string[]>();
  for (const route of routes) {
    const key = route.via
      ? `proxy ${route.via} (${route.variable})`
      : route.variable
        ? `direct (${route.variable})`
        : 'direct';
    groups.set(key, [
      ...(groups.get(key) ?? []),
      `${route.role === 'rest' ? 'REST' : route.role} ${route.target}`,
    ]);
  }
  const line = [...groups].map(([how, what]) => `${how} for ${what.join(', ')}`).join('; ');
  return { routes, line };
}
