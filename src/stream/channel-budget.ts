/**
 * Counts the channels this process holds against the platform's per user + OAuth client limit. A channel being
 * created for a hand-over or rotation counts too: creating one past the limit would silently evict another
 * channel — possibly one of ours that is still in use.
 */

/** A claim on one channel of the budget; release it when the channel is dropped. */
export interface ChannelClaim {
  release(): void;
}

/**
 * Where channels come from: the in-process {@link ChannelBudget}, or a budget shared by the replicas of one OAuth
 * client (`src/cluster`), whose extra channels are permits held in the coordination store.
 */
export interface ChannelAllowance {
  readonly limit: number;
  readonly inUse: number;
  /** Claims a channel now, or returns undefined when none is free. */
  tryAcquire(): ChannelClaim | undefined;
  /** Claims a channel, waiting up to `timeoutMs`; undefined when none came. */
  acquire(timeoutMs: number): Promise<ChannelClaim | undefined>;
}

/** The channels in use, within a fixed limit. */
export class ChannelBudget implements ChannelAllowance {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Channels currently claimed. */
  get inUse(): number {
    return this.used;
  }

  /** Claims a channel now, or returns undefined when the budget is spent. */
  tryAcquire(): ChannelClaim | undefined {
    if (this.used >= this.limit) return undefined;
    this.used++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.used--;
        this.waiting.shift()?.();
      },
    };
  }

  /** Claims a channel, waiting up to `timeoutMs` for one to be released; undefined when none came. */
  async acquire(timeoutMs: number): Promise<ChannelClaim | undefined> {
    const now = this.tryAcquire();
    if (now || timeoutMs <= 0) return now;
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.tryAcquire());
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(wake);
        if (index !== -1) this.waiting.splice(index, 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.push(wake);
    });
  }
}
