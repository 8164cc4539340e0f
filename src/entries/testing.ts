/**
 * genesys-switchboard/testing: testing your own consumer of the stream without an account — the emulator to run
 * it against, a sink that keeps what it is given, the comparison of what was received with the emulator's ground
 * truth (missing, duplicate and unknown event ids) and a bounded wait for a condition.
 *
 *   const emulator = await startEmulator({ port: 0, timeScale: 60 });
 *   // … run your consumer against emulator.url, collecting what it receives …
 *   emulator.world!.setTraffic(0);
 *   await waitFor(() => emulator.world!.activeConversations === 0, 'every conversation to end', 30_000);
 *   const coverage = compareWithGroundTruth(received, emulator.world!.groundTruth());
 */

export {
  type CollectingSink,
  type CollectingSinkOptions,
  createCollectingSink,
} from '../testing/collecting-sink.js';
export { type Coverage, compareWithGroundTruth, isComplete } from '../testing/coverage.js';
export {
  DEFAULT_WAIT_INTERVAL_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  type WaitForOptions,
  type WaitLimit,
  WaitTimeoutError,
  waitFor,
  waitForAsync,
} from '../testing/wait-for.js';
export {
  DEFAULT_CLIENT,
  type Emulator,
  type GroundTruthFact,
  ManualClock,
  type StartEmulatorOptions,
  startEmulator,
} from './emulator.js';
