/** The proactive engine as the service runs it: built from the config, fed the stream, stopped with the service. */
import type { LifecycleEvent } from '../events.js';
import type { Logger } from '../logging.js';
import type { PlatformClient } from '../platform/index.js';
import type { DecisionNote, ProactiveSummary } from '../server/dashboard-state.js';
import type { SwitchboardStore } from '../store/index.js';
import type { ServiceConfig } from './config.js';

/** A running (or ready to run) proactive engine. */
export interface ProactiveRuntime {
  summary(): ProactiveSummary;
  /** Runs until `signal` aborts; resolves once in-flight decisions are recorded. */
  run(events: AsyncIterable<LifecycleEvent>, signal: AbortSignal): Promise<void>;
}

/** What a factory gets. */
export interface ProactiveRuntimeInput {
  config: NonNullable<ServiceConfig['proactive']>;
  platform: PlatformClient;
  store: SwitchboardStore;
  logger: Logger;
  onDecision: (decision: DecisionNote) => void;
}

/** Builds the runtime; throws (e.g. an invalid rules file) before anything connects. */
export type ProactiveRuntimeFactory = (input: ProactiveRuntimeInput) => ProactiveRuntime;
