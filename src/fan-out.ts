/**
 * A fan-out of typed events to in-process subscribers: listeners (`on(type, handler)`, `on('*', handler)` or
 * `onAny(handler)`) and async iterators (`for await (const event of fanOut)`). The stream's lifecycle events, the
 * channel pool's status and the service's status are each one.
 *
 * A throwing or rejecting listener is reported through `onListenerError`, never allowed to stop delivery to the
 * others. An async iterator cannot hold up its producer (`emit` is synchronous), so it is bounded: past
 * `iteratorBuffer` events waiting for its reader, the oldest are dropped. Drops are counted for good
 * (`droppedByIterators`) and reported through `onIteratorDrop`. A consumer that must not lose an event reads from a
 * sink instead (the service feeds its proactive engine that way), where a slow reader makes events wait rather than
 * vanish.
 *
 * `close()` ends every iterator (after it drains what it buffered). Listeners hear nothing after it either, unless
 * `listenersAfterClose` is set (the lifecycle events: records a pipeline is still finishing reach its listeners).
 */

export type EventHandler<E> = (event: E) => void | Promise<void>;

/** A listener; what it returns is ignored, except that a rejected promise is reported like a throw. */
type Listener<E> = (event: E) => unknown;

export interface FanOutOptions<E> {
  /** Events buffered per async iterator before the oldest are dropped (and counted); default 1000. */
  iteratorBuffer?: number;
  /** Called when a listener throws or rejects. */
  onListenerError?: (error: unknown, event: E) => void;
  /** Called when an iterator drops an event, with the total of dropped events so far. */
  onIteratorDrop?: (event: E, droppedTotal: number) => void;
  /** Whether listeners still hear events emitted after `close()` (iterators never do). */
  listenersAfterClose?: boolean;
}

interface IteratorState<E> {
  buffer: E[];
  wake: ((result: IteratorResult<E>) => void) | undefined;
  dropped: number;
}

/** Typed event fan-out to listeners and bounded async iterators. */
export class FanOut<E extends { type: string }> implements AsyncIterable<E> {
  private readonly handlers = new Map<string, Set<Listener<E>>>();
  private readonly iterators = new Set<IteratorState<E>>();
  private readonly iteratorBuffer: number;
  private readonly onListenerError: (error: unknown, event: E) => void;
  private readonly onIteratorDrop: ((event: E, droppedTotal: number) => void) | undefined;
  private readonly listenersAfterClose: boolean;
  private closed = false;
  private dropped = 0;

  constructor(options: FanOutOptions<E> = {}) {
    this.iteratorBuffer = options.iteratorBuffer ?? 1000;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.onIteratorDrop = options.onIteratorDrop;
    this.listenersAfterClose = options.listenersAfterClose ?? false;
  }

  /** Calls `handler` for every event of `type` (or every event with `'*'`); returns the function that removes it. */
  on<T extends E['type']>(type: T, handler: Listener<Extract<E, { type: T }>>): () => void;
  on(type: '*', handler: Listener<E>): () => void;
  on(type: string, handler: Listener<never>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const stored = handler as Listener<E>;
    set.add(stored);
    return () => set.delete(stored);
  }

  /** Listens to every event (`on('*', handler)`); returns the function that removes the listener. */
  onAny(handler: Listener<E>): () => void {
    return this.on('*', handler);
  }

  /** Events async iterators dropped because their reader fell behind, since this was made (never goes back). */
  get droppedByIterators(): number {
    return this.dropped;
  }

  /** Delivers one event to the listeners of its type, then to those of every type, then to every iterator. */
  emit(event: E): void {
    if (this.closed && !this.listenersAfterClose) return;
    for (const key of [event.type, '*']) {
      const set = this.handlers.get(key);
      if (set) for (const handler of set) this.call(handler, event);
    }
    if (this.closed) return;
    for (const state of this.iterators) {
      if (state.wake) {
        const wake = state.wake;
        state.wake = undefined;
        wake({ value: event, done: false });
      } else if (state.buffer.length < this.iteratorBuffer) {
        state.buffer.push(event);
      } else {
        const lost = state.buffer.shift() as E;
        state.buffer.push(event);
        state.dropped++;
        this.dropped++;
        try {
          this.onIteratorDrop?.(lost, this.dropped);
        } catch {
          // A reporting callback must not stop delivery.
        }
      }
    }
  }

  /** Ends every async iterator (after it has drained what it buffered). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.iterators) {
      if (state.wake) {
        const wake = state.wake;
        state.wake = undefined;
        wake({ value: undefined, done: true });
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    const state: IteratorState<E> = { buffer: [], wake: undefined, dropped: 0 };
    this.iterators.add(state);
    const finish = (): IteratorResult<E> => {
      this.iterators.delete(state);
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        const value = state.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.closed) return Promise.resolve(finish());
        return new Promise<IteratorResult<E>>((resolve) => {
          state.wake = (result) => {
            if (result.done) finish();
            resolve(result);
          };
        });
      },
      return: () => {
        state.wake?.({ value: undefined, done: true });
        return Promise.resolve(finish());
      },
    };
  }

  private call(handler: Listener<E>, event: E): void {
    try {
      const result = handler(event);
      if (result && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).catch((error: unknown) => this.onListenerError(error, event));
      }
    } catch (error) {
      this.onListenerError(error, event);
    }
  }
}
