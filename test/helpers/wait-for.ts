/**
 * The one way tests wait: poll a condition until it holds, bounded in time. A test waits for the state it needs,
 * never for a fixed time standing in for it; a condition that never comes fails with what was awaited.
 *
 * The waiter is the package's own (`genesys-switchboard/testing`, src/testing/wait-for.ts), so the tests use what
 * users of that entry point get.
 *
 *   await waitFor(() => sink.delivered.length === 3, 'three deliveries');
 *   await waitFor(() => pool.connected, 'the pool to connect', 10_000);            // the timeout alone
 *   await waitForAsync(async () => (await health()).ready, 'readiness', { timeoutMs: 30_000, intervalMs: 50 });
 */
export {
  DEFAULT_WAIT_INTERVAL_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  type WaitForOptions as WaitOptions,
  type WaitLimit,
  WaitTimeoutError,
  waitFor,
  waitForAsync,
} from '../../src/testing/wait-for.js';
