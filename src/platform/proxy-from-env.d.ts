/** proxy-from-env 2.x ships no types. */
declare module 'proxy-from-env' {
  /**
   * The proxy URL for `url` from `<scheme>_proxy` / `ALL_PROXY`, or '' when none is set or NO_PROXY names the host.
   */
  export function getProxyForUrl(url: string | URL): string;
}
