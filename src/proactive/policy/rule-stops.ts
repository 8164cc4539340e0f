/**
 * Rules stopped for a missing permission. A rule whose lookups or sends the platform refuses for want of a
 * permission stops until the engine restarts (the operator grants it, then restarts): asking again would only be
 * refused again. This object alone holds which rules are stopped and why; the engine, the decider and the in-doubt
 * settler stop rules through it, and the engine reads it to leave a stopped rule's work alone.
 */
import type { Logger } from '../../logging.js';

/** Stopping a rule: all that a part which meets a refused permission needs. */
export interface RuleStopper {
  /** Stops a rule; the first reason is kept (and logged once). */
  stop(ruleId: string, reason: string): void;
}

/** Which rules are stopped, and why. */
export class RuleStops implements RuleStopper {
  private readonly stopped = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  stop(ruleId: string, reason: string): void {
    if (this.stopped.has(ruleId)) return;
    const message = `rule stopped: ${reason}`;
    this.stopped.set(ruleId, message);
    this.logger.error({ ruleId }, message);
  }

  /** Why the rule is stopped (`rule stopped: ...`), or undefined while it runs. */
  reasonOf(ruleId: string): string | undefined {
    return this.stopped.get(ruleId);
  }

  isStopped(ruleId: string): boolean {
    return this.stopped.has(ruleId);
  }

  /** Every stopped rule with why: a read-only view that follows later stops. */
  get all(): ReadonlyMap<string, string> {
    return this.stopped;
  }
}
