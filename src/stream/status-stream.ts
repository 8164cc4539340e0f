/**
 * A stream of typed status events that callers can both listen to (`on(type, handler)`) and iterate
 * (`for await (const s of stream)`), in the manner of nats.js connection status. Iterators buffer a bounded number
 * of events each, so a caller that stops reading cannot make the process grow without bound.
 */

type Handler<E> = (event: E) => void;

interface Waiter<E> {
  buffer: E[];
  wake: ((result: IteratorResult<E>) => void) | undefined;
  dropped: number;
}

/** Typed event fan-out with async iteration. */
export class StatusStream<E extends { type: string }> {
  private readonly handlers = new Map<string, Set<Handler<E>>>();
  private readonly iterators = new Set<Waiter<E>>();
  private ended = false;

  /** @param maxBuffered events kept per iterator before the oldest are dropped */
  constructor(private readonly maxBuffered = 1000) {}

  /** Calls `handler` for every event of `type` (or every event with `'*'`); returns the unsubscribe function. */
  on<T extends E['type']>(type: T, handler: Handler<Extract<E, { type: T }>>): () => void;
  on(type: '*', handler: Handler<E>): () => void;
  on(type: string, handler: Handler<never>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const h = handler as Handler<E>;
    set.add(h);
    return () => set.delete(h);
  }

  /** Delivers an event to listeners and iterators. A listener that throws does not stop the others. */
  emit(event: E): void {
    if (this.ended) return;
    for (const key of [event.type, '*']) {
      const set = this.handlers.get(key);
      if (!set) continue;
      for (const handler of set) {
        try {
          handler(event);
        } catch {
          // A status listener's bug must not break the connection that reports to it.
        }
      }
    }
    for (const waiter of this.iterators) {
      if (waiter.wake) {
        const wake = waiter.wake;
        waiter.wake = undefined;
        wake({ value: event, done: false });
      } else {
        waiter.buffer.push(event);
        if (waiter.buffer.length > this.maxBuffered) {
          waiter.buffer.shift();
          waiter.dropped++;
        }
      }
    }
  }

  /** Ends every iterator (after it drains its buffer) and stops delivering. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const waiter of this.iterators) {
      if (waiter.wake) {
        const wake = waiter.wake;
        waiter.wake = undefined;
        wake({ value: undefined, done: true });
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    const waiter: Waiter<E> = { buffer: [], wake: undefined, dropped: 0 };
    this.iterators.add(waiter);
    const finish = (): IteratorResult<E> => {
      this.iterators.delete(waiter);
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        const value = waiter.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.ended) return Promise.resolve(finish());
        return new Promise<IteratorResult<E>>((resolve) => {
          waiter.wake = (result) => {
            if (result.done) finish();
            resolve(result);
          };
        });
      },
      return: () => {
        waiter.wake?.({ value: undefined, done: true });
        return Promise.resolve(finish());
      },
    };
  }
}
