/**
 * The one place that imports the official Genesys Cloud SDK (`purecloud-platform-client-v2`). The package is
 * CommonJS; its `module.exports` is a singleton object carrying the classes, which the default import gives us
 * under both Node's ESM loader and tsx.
 */
import platformClient from 'purecloud-platform-client-v2';

export type { Models } from 'purecloud-platform-client-v2';

/** The SDK's module object (classes such as `ApiClientClass`, `NotificationsApi`, `AbstractHttpClient`). */
export const sdk = platformClient;

/** A per-instance SDK API client (never the SDK's process-wide singleton). */
export type SdkApiClient = InstanceType<typeof platformClient.ApiClientClass>;

/** What the SDK hands to an HTTP client for each call. */
export type SdkHttpRequestOptions = InstanceType<typeof platformClient.HttpRequestOptions>;

/** The SDK's own list of regions: SDK name (`eu_west_1`) → domain (`mypurecloud.ie`). */
export const SDK_REGION_HOSTS: Readonly<Record<string, string>> = Object.freeze({
  ...platformClient.PureCloudRegionHosts,
});

/** The SDK's `config.logger` as far as we touch it (its typings omit `log`). */
interface SdkLogger {
  log: (...args: unknown[]) => void;
}

/**
 * A fresh SDK ApiClient aimed at `apiBaseUrl`/`loginBaseUrl`, sending through `httpClient`, with the SDK's own
 * logger silenced (it formats request headers on every call) and its config-file watcher stopped.
 */
export function createSdkApiClient(
  target: { domain?: string; apiBaseUrl: string; loginBaseUrl: string; custom: boolean },
  httpClient: InstanceType<typeof platformClient.AbstractHttpClient>,
): SdkApiClient {
  const apiClient = new platformClient.ApiClientClass();
  // The SDK reads ~/.genesyscloudjavascript/config and watches it; our settings come from our own config.
  apiClient.config.live_reload_config = false;
  (apiClient.config.logger as unknown as SdkLogger).log = () => {};
  if (target.custom || !target.domain) {
    const url = new URL(target.apiBaseUrl);
    const prefix = url.pathname.replace(/\/+$/, '');
    apiClient.setGateway({
      host: url.hostname,
      protocol: url.protocol.replace(/:$/, ''),
      ...(url.port ? { port: Number(url.port) } : {}),
      ...(prefix ? { path_params_api: prefix, path_params_login: prefix } : {}),
    });
  } else {
    apiClient.setEnvironment(target.domain);
    // A gateway from the SDK's config file would otherwise win over the environment.
    apiClient.setGateway(undefined as unknown as Parameters<SdkApiClient['setGateway']>[0]);
  }
  apiClient.setHttpClient(httpClient);
  const config = apiClient.config;
  const apiBase = config.getConfUrl('api', config.basePath);
  const loginBase = config.getConfUrl('login', config.authUrl);
  if (apiBase !== target.apiBaseUrl || loginBase !== target.loginBaseUrl) {
    throw new Error(
      `SDK resolved ${apiBase} / ${loginBase} instead of ${target.apiBaseUrl} / ${target.loginBaseUrl}`,
    );
  }
  return apiClient;
}
