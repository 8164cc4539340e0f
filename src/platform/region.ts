/**
 * Region resolution: turns what an operator types (`mypurecloud.ie`, `eu_west_1`, `api.mypurecloud.ie`,
 * `https://api.mypurecloud.ie`, or the base URL of an emulator/gateway such as `http://127.0.0.1:8787`) into the
 * three places the platform lives: REST (`https://api.<domain>`), OAuth (`https://login.<domain>`) and the
 * notification stream (`wss://streaming.<domain>`). The list of regions is the official SDK's.
 */
import { UnknownRegionError } from '../errors.js';
import { SDK_REGION_HOSTS } from './sdk.js';

/** Where one Genesys Cloud region (or a custom base URL) serves REST, OAuth and streaming. */
export interface ResolvedRegion {
  /** SDK region name (`eu_west_1`), or `custom` for a base URL. */
  name: string;
  /** Region domain (`mypurecloud.ie`); absent for a custom base URL. */
  domain?: string;
  /** REST base, no trailing slash: `https://api.mypurecloud.ie` or the custom base. */
  apiBaseUrl: string;
  /** OAuth base, no trailing slash: `https://login.mypurecloud.ie` or the custom base. */
  loginBaseUrl: string;
  /** Streaming host (`streaming.mypurecloud.ie`, or `127.0.0.1:8787` for a custom base). */
  streamingHost?: string;
  /** Streaming base URL with scheme: `wss://streaming.mypurecloud.ie`, or `ws://127.0.0.1:8787`. */
  streamingBaseUrl?: string;
  /** True for a base URL that is not one of the platform's regions (emulator, gateway, proxy). */
  custom: boolean;
}

/** Every known region, keyed by SDK name. */
export function knownRegions(): ResolvedRegion[] {
  return Object.entries(SDK_REGION_HOSTS).map(([name, domain]) => regionFor(name, domain));
}

function regionFor(name: string, domain: string): ResolvedRegion {
  return {
    name,
    domain,
    apiBaseUrl: `https://api.${domain}`,
    loginBaseUrl: `https://login.${domain}`,
    streamingHost: `streaming.${domain}`,
    streamingBaseUrl: `wss://streaming.${domain}`,
    custom: false,
  };
}

/** Finds a known region by SDK name (`eu_west_1`, `eu-west-1`), domain or a platform host of that domain. */
function findKnown(text: string): ResolvedRegion | undefined {
  const lower = text.toLowerCase();
  const byName = SDK_REGION_HOSTS[lower.replaceAll('-', '_')];
  if (byName) return regionFor(lower.replaceAll('-', '_'), byName);
  for (const [name, domain] of Object.entries(SDK_REGION_HOSTS)) {
    if (lower === domain) return regionFor(name, domain);
    for (const prefix of ['api.', 'login.', 'apps.', 'streaming.']) {
      if (lower === `${prefix}${domain}`) return regionFor(name, domain);
    }
  }
  return undefined;
}

function unknownRegion(input: string, why: string): UnknownRegionError {
  const examples = ['mypurecloud.ie', 'eu_west_1', 'api.mypurecloud.ie', 'http://127.0.0.1:8787'];
  return new UnknownRegionError(
    `${why}: "${input}". Expected a region domain, SDK region name, API host or base URL, e.g. ` +
      `${examples.join(', ')} (see docs for the full list).`,
    {
      hint:
        `Set GENESYS_CLOUD_REGION (or --region) to one of: ${Object.values(SDK_REGION_HOSTS).join(', ')}; ` +
        'or to the http(s) base URL of an emulator or gateway.',
    },
  );
}

/** Resolves a region given as domain, SDK name, API host or full base URL; throws UnknownRegionError otherwise. */
export function resolveRegion(input: string): ResolvedRegion {
  const text = input.trim().replace(/\/+$/, '');
  if (text === '') throw unknownRegion(input, 'No Genesys Cloud region given');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const known = findKnown(text);
    if (known) return known;
    throw unknownRegion(input, 'Unknown Genesys Cloud region');
  }
  return resolveBaseUrl(input, text);
}

function resolveBaseUrl(input: string, text: string): ResolvedRegion {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw unknownRegion(input, 'Malformed region URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw unknownRegion(input, 'Region URL must be http:// or https://');
  }
  if (url.hostname === '' || url.username || url.password || url.search || url.hash) {
    throw unknownRegion(input, 'Region URL must be a plain base URL (no credentials, query or fragment)');
  }
  const pathPrefix = url.pathname.replace(/\/+$/, '');
  // A URL naming one of the platform's own hosts is that region, not a custom endpoint.
  if (pathPrefix === '' && url.protocol === 'https:' && url.port === '') {
    const known = findKnown(url.hostname);
    if (known) return known;
  }
  const base = `${url.origin}${pathPrefix}`;
  const streamingScheme = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return {
    name: 'custom',
    apiBaseUrl: base,
    loginBaseUrl: base,
    streamingHost: url.host,
    streamingBaseUrl: `${streamingScheme}//${url.host}${pathPrefix}`,
    custom: true,
  };
}
