/**
 * The service as a list of components. They start in order, each once the ones before it have started; they stop in
 * reverse, each while the ones it depends on still run. A component that fails to start leaves nothing open of its
 * own, and the ones started before it are stopped again. Each component judges its own readiness; the service's is
 * theirs together, and not ready while a component has yet to start or the service is stopping.
 */
import type { Logger } from '../logging.js';
import { type ComponentReadiness, composeReadiness, type ReadinessReport } from '../server/readiness.js';
import { type ShutdownReport, ShutdownSteps, type StopContext } from './shutdown.js';
import type { ComponentState, ServiceStatusStream } from './status.js';

/** One part of the service. */
export interface ServiceComponent {
  /** Its name in status events, logs, readiness and the shutdown's steps. */
  readonly name: string;
  /** Starts it; throwing refuses the start, after closing whatever this component had opened. */
  start(): Promise<void>;
  /** The service is stopping: take no new work. Told to every started component before any of them stops. */
  quiesce?(): void;
  /** Stops it in named steps, within the bound the context keeps. */
  stop(context: StopContext): Promise<void>;
  /** What keeps it from being ready (asked at any time, before it starts too). */
  readiness?(now: number): ComponentReadiness;
}

export interface ComponentRunnerOptions {
  status: ServiceStatusStream;
  logger: Logger;
  /** Bound of the stop of what had started when a component fails to start. */
  rollbackTimeoutMs: number;
}

/** Starts components in order and stops them in reverse. */
export class ComponentRunner {
  private readonly states: Map<ServiceComponent, ComponentState>;
  private stopping: string | undefined;
  private stopped: Promise<Omit<ShutdownReport, 'channels' | 'subscriptionsRemoved'>> | undefined;

  constructor(
    readonly components: readonly ServiceComponent[],
    private readonly options: ComponentRunnerOptions,
  ) {
    this.states = new Map(components.map((component) => [component, 'idle']));
  }

  /** Starts every component in order; when one fails, stops those started before it and rethrows. */
  async start(): Promise<void> {
    for (const component of this.components) {
      this.enter(component, 'starting');
      try {
        await component.start();
      } catch (error) {
        this.enter(component, 'failed', error);
        this.stopping = `not started: ${component.name} failed to start`;
        const rollback = await this.stopStarted(this.options.rollbackTimeoutMs);
        if (!rollback.clean) {
          this.options.logger.warn({ steps: rollback.steps }, 'what had started did not all stop cleanly');
        }
        throw error;
      }
      this.enter(component, 'started');
    }
  }

  /** Stops every started component in reverse order within `timeoutMs`. Safe to call more than once. */
  stop(
    reason: string,
    timeoutMs: number,
  ): Promise<Omit<ShutdownReport, 'channels' | 'subscriptionsRemoved'>> {
    this.stopping = `shutting down (${reason})`;
    this.stopped ??= this.stopStarted(timeoutMs);
    return this.stopped;
  }

  /** The service's readiness: every component's own, in order, and the first one yet to start. */
  readiness(now = Date.now()): ReadinessReport {
    if (this.stopping) return composeReadiness([], { stopping: this.stopping });
    const parts: ComponentReadiness[] = [];
    let waiting = false;
    for (const component of this.components) {
      const own = component.readiness?.(now);
      if (own) parts.push(own);
      // The first component not started yet says why it is not, or is named; the ones after it wait behind it.
      if (!waiting && this.states.get(component) !== 'started') {
        waiting = true;
        if (!own?.findings.length) {
          parts.push({
            findings: [{ condition: 'starting', reason: `starting: ${component.name} not started yet` }],
          });
        }
      }
    }
    return composeReadiness(parts);
  }

  /** Where each component is. */
  state(component: ServiceComponent): ComponentState {
    return this.states.get(component) ?? 'idle';
  }

  private async stopStarted(timeoutMs: number) {
    const steps = new ShutdownSteps(timeoutMs, this.options.logger);
    const started = this.components.filter((c) => this.states.get(c) === 'started').reverse();
    for (const component of started) {
      try {
        component.quiesce?.();
      } catch (error) {
        this.options.logger.warn(
          { component: component.name, err: (error as Error).message },
          'quiesce failed',
        );
      }
    }
    for (const component of started) {
      this.enter(component, 'stopping');
      try {
        await component.stop(steps);
      } catch (error) {
        steps.failed(component.name, error);
      }
      this.enter(component, 'stopped');
    }
    return steps.result();
  }

  private enter(component: ServiceComponent, state: ComponentState, error?: unknown): void {
    this.states.set(component, state);
    const message = error === undefined ? undefined : ((error as Error)?.message ?? String(error));
    this.options.logger.debug(
      { component: component.name, state, ...(message ? { err: message } : {}) },
      'component',
    );
    this.options.status.emit({
      type: 'component',
      component: component.name,
      state,
      ...(message === undefined ? {} : { error: message.slice(0, 200) }),
    });
  }
}
