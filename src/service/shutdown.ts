/**
 * Shutdown within a time bound, step by step: each component stops in one or more named steps, each step bounded by
 * its share of the time left. A step that overruns its share or fails is reported and left behind; the rest still
 * run. What the service's components do in their steps, in which order, is in `service.ts`.
 */
import type { Logger } from '../logging.js';

/** One step of a shutdown: whether it finished in time, how long it took, and what went wrong. */
export interface ShutdownStep {
  step: string;
  ok: boolean;
  ms: number;
  note?: string;
}

/** What a shutdown did. */
export interface ShutdownReport {
  /** Every step finished in time and without error. */
  clean: boolean;
  durationMs: number;
  channels: number;
  subscriptionsRemoved: number;
  steps: ShutdownStep[];
}

/** What a component stops with. */
export interface StopContext {
  /**
   * Runs one named step within `share` (0–1) of the time left (default: all of it); false when it failed or overran
   * (it is reported, and the shutdown goes on). Never throws.
   */
  step(name: string, work: () => Promise<unknown>, share?: number): Promise<boolean>;
  /** Milliseconds left of the bound. */
  remainingMs(): number;
}

class StepTimeout extends Error {}

/** A channel id lets anyone read the channel's stream: messages keep only its first characters. */
export function shortenChannelIds(text: string): string {
  return text.replace(/(\/channels\/)([0-9a-f-]{8})[0-9a-f-]{4,}/gi, '$1$2…');
}

/** The steps of one shutdown, bounded together by `timeoutMs`. */
export class ShutdownSteps implements StopContext {
  readonly steps: ShutdownStep[] = [];
  private readonly started = Date.now();
  private readonly deadline: number;

  constructor(
    timeoutMs: number,
    private readonly logger: Logger,
  ) {
    // Keep a little of the bound for the last steps and for the process to exit.
    this.deadline = this.started + Math.max(1000, timeoutMs - 500);
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  async step(name: string, work: () => Promise<unknown>, share = 1): Promise<boolean> {
    const at = Date.now();
    const shareMs = this.remainingMs() * Math.min(1, Math.max(0, share));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new StepTimeout()), shareMs);
          timer.unref();
        }),
      ]);
      this.steps.push({ step: name, ok: true, ms: Date.now() - at });
      return true;
    } catch (error) {
      this.failed(name, error, Date.now() - at);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records a step that failed outside {@link step} (a component whose stop threw). */
  failed(name: string, error: unknown, ms = 0): void {
    const note =
      error instanceof StepTimeout
        ? 'timed out'
        : shortenChannelIds((error as Error)?.message ?? String(error));
    this.steps.push({ step: name, ok: false, ms, note });
    this.logger.warn({ step: name, note }, 'shutdown step did not finish');
  }

  /** The steps so far, and whether all of them finished. */
  result(): Pick<ShutdownReport, 'clean' | 'durationMs' | 'steps'> {
    return {
      clean: this.steps.every((s) => s.ok),
      durationMs: Date.now() - this.started,
      steps: [...this.steps],
    };
  }
}
