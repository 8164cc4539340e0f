/** The proactive engine as the service runs it: built from the config, fed the stream, stopped with the service. */
import type { LifecycleEvent } from '../events.js';
import type { Logger } from '../logging.js';
import type { PlatformClient } from '../platform/index.js';
import type { DecisionNote, ProactiveSummary } from '../server/api-backend.js';
import type { SwitchboardStore } from '../store/index.js';
import type { ServiceConfig } from './config.js';

/** A running (or ready to run) proactive engine. */
export interface ProactiveRuntime {
  summary(): ProactiveSummary;
  /**
   * Runs until `signal` aborts; resolves once in-flight decisions are recorded. `onEventSettled` hears of each
   * event once its decisions are recorded (a bus consumer acks it then).
   */
  run(
    events: AsyncIterable<LifecycleEvent>,
    signal: AbortSignal,
    options?: { onEventSettled?: (event: LifecycleEvent, error?: unknown) => void },
  ): Promise<void>;
}

/** What a factory gets. */
export interface ProactiveRuntimeInput {
  config: NonNullable<ServiceConfig['proactive']>;
  platform: PlatformClient;
  store: SwitchboardStore;
  logger: Logger;
  onDecision: (decision: DecisionNote) => void;
  /**
   * With a ledger shared by replicas: a `sending` entry is taken for another replica's dead send only after this
   * long (0: every `sending` entry at start is from a dead run of this process).
   */
  sendingStaleMs?: number;
}

/** Builds the runtime; throws (e.g. an invalid rules file) before anything connects. */
export type ProactiveRuntimeFactory = (input: ProactiveRuntimeInput) => ProactiveRuntime;
