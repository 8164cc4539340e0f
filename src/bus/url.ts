/**
 * NATS URLs as Switchboard takes them: `nats://host:port`, `nats://user:pass@host:port`, `nats://token@host`,
 * `tls://…`, or a bare `host[:port]`. Credentials are split off so the server address can be logged on its own.
 */
import { ConfigError } from '../errors.js';

export const DEFAULT_NATS_PORT = 4222;

/** A NATS URL taken apart. */
export interface BusUrl {
  /** `nats://host:port`, without credentials: what the client connects to (TLS is an option, not a scheme). */
  server: string;
  /** `nats://host:port` or `tls://host:port`: safe for logs and health. */
  description: string;
  user?: string;
  pass?: string;
  /** A lone credential in the user part (`nats://token@host`). */
  token?: string;
  tls: boolean;
}

const URL_HINT =
  'Write nats://host:4222, or nats://user:password@host:4222 when the server wants credentials.';

/** Parses a NATS URL; throws ConfigError (never echoing credentials) when it is not one. */
export function parseBusUrl(url: string): BusUrl {
  const trimmed = url.trim();
  if (trimmed === '') throw new ConfigError('The NATS URL is empty.', { hint: URL_HINT });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `nats://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new ConfigError(`"${describeBusUrl(trimmed)}" is not a NATS URL.`, { hint: URL_HINT });
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'nats' && scheme !== 'tls') {
    throw new ConfigError(`A NATS URL uses nats:// or tls://, not ${scheme}://.`, { hint: URL_HINT });
  }
  if (parsed.hostname === '') throw new ConfigError('The NATS URL has no host.', { hint: URL_HINT });
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigError(`The NATS URL ${describeBusUrl(trimmed)} has a path or query; it takes neither.`, {
      hint: URL_HINT,
    });
  }
  const port = parsed.port === '' ? DEFAULT_NATS_PORT : Number(parsed.port);
  const result: BusUrl = {
    server: `nats://${parsed.hostname}:${port}`,
    description: `${scheme}://${parsed.hostname}:${port}`,
    tls: scheme === 'tls',
  };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  if (user !== '' && pass !== '') {
    result.user = user;
    result.pass = pass;
  } else if (user !== '') {
    result.token = user;
  }
  return result;
}

/** `scheme://host:port` of a NATS URL, credentials left out: safe to log. Never throws. */
export function describeBusUrl(url: string): string {
  const trimmed = url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `nats://${trimmed}`;
  try {
    const parsed = new URL(withScheme);
    const port = parsed.port === '' ? DEFAULT_NATS_PORT : Number(parsed.port);
    return `${parsed.protocol}//${parsed.hostname}:${port}`;
  } catch {
    return '<invalid NATS URL>';
  }
}
