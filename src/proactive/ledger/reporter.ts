/**
 * Reporting decisions as they are made: each one logged (addresses are already redacted in a decision) and handed
 * to the embedder's `onDecision` (the CLI prints it, the service counts it). The decider reports what it decides and
 * the in-doubt settler what it settles, each as it happens, so nothing is reported twice or left unreported.
 */
import type { Logger } from '../../logging.js';
import type { Decision } from './decision.js';

/** Tells the log and the embedder of every decision. */
export class DecisionReporter {
  constructor(
    private readonly logger: Logger,
    private readonly onDecision: ((decision: Decision) => void) | undefined,
  ) {}

  report(decision: Decision): void {
    this.logger.info(
      {
        ruleId: decision.ruleId,
        customerId: decision.customerId,
        status: decision.status,
        reasonCode: decision.reasonCode,
        channel: decision.channel,
        entryId: decision.entryId,
        dryRun: decision.dryRun || undefined,
      },
      'proactive decision',
    );
    this.onDecision?.(decision);
  }
}
