/**
 * Several notification sources as one: the WebSocket pool and the EventBridge queue side by side, feeding one
 * pipeline — one deriver, one dedupe horizon, one checkpoint — so each fact is delivered once whichever source saw it
 * first, and a wrap-up one source would have to look up can come with its code from the other.
 */
import type { NotificationHandler, NotificationSource, SafetyCheck, SourceStats } from './source.js';

/** Runs every source; the first is the primary (the live pool, when there is one). */
export class CombinedSource implements NotificationSource {
  constructor(readonly sources: readonly NotificationSource[]) {
    if (sources.length === 0) throw new Error('CombinedSource needs at least one source');
  }

  onNotification(handler: NotificationHandler): void {
    for (const source of this.sources) source.onNotification(handler);
  }

  useSafetyCheck(check: SafetyCheck): void {
    for (const source of this.sources) source.useSafetyCheck?.(check);
  }

  /** Starts each in turn; if one fails, those already started are stopped and the error is thrown. */
  async start(): Promise<void> {
    const started: NotificationSource[] = [];
    try {
      for (const source of this.sources) {
        await source.start();
        started.push(source);
      }
    } catch (error) {
      await Promise.allSettled(started.map((source) => source.stop()));
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.stop()));
  }

  /** The stats of the first source that keeps any (the only one today: the EventBridge queue). */
  stats(): SourceStats {
    for (const source of this.sources) {
      const stats = source.stats?.();
      if (stats !== undefined) return stats;
    }
    return { kind: 'combined' };
  }
}
