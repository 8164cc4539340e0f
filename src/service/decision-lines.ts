/**
 * Proactive decisions as operator lines: a line for each message sent or in trouble (sent, failed, unknown), and
 * everything else — a sweep can skip hundreds of guests at once — folded into one summary line per rule every few
 * seconds, with the reasons counted.
 */
import type { DecisionNote } from '../server/api-backend.js';
import type { Reporter } from './reporter.js';

const ALWAYS_SHOWN = new Set(['sent', 'failed', 'unknown']);

/** Collects decisions and reports them; `close()` flushes what is pending. */
export class DecisionLines {
  private readonly pending = new Map<string, Map<string, number>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly report: Reporter,
    flushEveryMs = 5000,
  ) {
    this.timer = setInterval(() => this.flush(), flushEveryMs);
    this.timer.unref();
  }

  add(decision: DecisionNote): void {
    if (ALWAYS_SHOWN.has(decision.status)) {
      this.report.line(
        `proactive: ${decision.ruleId} → ${decision.customerId}: ${decision.status}${decision.channel ? ` via ${decision.channel}` : ''}${decision.reasonCode && decision.status !== 'sent' ? ` (${decision.reasonCode}${decision.reason ? `: ${decision.reason}` : ''})` : ''}${decision.dryRun ? ' [dry run]' : ''}`,
      );
      return;
    }
    const key = `${decision.status}${decision.reasonCode ? ` ${decision.reasonCode}` : ''}`;
    let counts = this.pending.get(decision.ruleId);
    if (!counts) {
      counts = new Map();
      this.pending.set(decision.ruleId, counts);
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  /** Reports the folded decisions, one line per rule. */
  flush(): void {
    for (const [ruleId, counts] of this.pending) {
      const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${n} ${key}`);
      this.report.line(`proactive: ${ruleId}: ${parts.join(', ')}`);
    }
    this.pending.clear();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
