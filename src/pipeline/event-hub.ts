/**
 * Typed delivery of lifecycle events to in-process listeners: `on(type, handler)` with a typed event per name,
 * `onAny(handler)`, and async iteration. A throwing or rejecting listener is reported, never allowed to stop
 * delivery to the others.
 *
 * An async iterator cannot hold up the stream (`emit` is synchronous), so it is bounded: past `iteratorBuffer`
 * events waiting for its reader, the oldest are dropped. Drops are never silent: they are counted for good
 * (`droppedByIterators`, in `/api/health` as `iterators.dropped` and in `switchboard_event_iterator_dropped_total`)
 * and reported through `onIteratorDrop`. A consumer that must not lose an event reads from a sink instead (the
 * service feeds its proactive engine that way), where a slow reader makes events wait rather than vanish.
 */
import type { LifecycleEvent, LifecycleEventMap, LifecycleEventType } from '../events.js';

export type EventHandler<E> = (event: E) => void | Promise<void>;

export interface EventHubOptions {
  /** Called when a listener throws or rejects. */
  onListenerError?: (error: unknown, event: LifecycleEvent) => void;
  /** Events buffered per async iterator before the oldest are dropped (and counted). */
  iteratorBuffer?: number;
  /** Called when an iterator drops an event, with the hub's total of dropped events so far. */
  onIteratorDrop?: (event: LifecycleEvent, droppedTotal: number) => void;
}

interface IteratorState {
  buffer: LifecycleEvent[];
  waiting: ((result: IteratorResult<LifecycleEvent>) => void) | undefined;
  dropped: number;
  done: boolean;
}

/** In-process fan-out of lifecycle events. */
export class EventHub implements AsyncIterable<LifecycleEvent> {
  private readonly byType = new Map<LifecycleEventType, Set<EventHandler<LifecycleEvent>>>();
  private readonly any = new Set<EventHandler<LifecycleEvent>>();
  private readonly iterators = new Set<IteratorState>();
  private readonly onListenerError: (error: unknown, event: LifecycleEvent) => void;
  private readonly iteratorBuffer: number;
  private readonly onIteratorDrop: ((event: LifecycleEvent, droppedTotal: number) => void) | undefined;
  private dropped = 0;

  constructor(options: EventHubOptions = {}) {
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.iteratorBuffer = options.iteratorBuffer ?? 10_000;
    this.onIteratorDrop = options.onIteratorDrop;
  }

  /** Listens to one event type; returns a function that removes the listener. */
  on<T extends LifecycleEventType>(type: T, handler: EventHandler<LifecycleEventMap[T]>): () => void {
    let set = this.byType.get(type);
    if (!set) {
      set = new Set();
      this.byType.set(type, set);
    }
    const stored = handler as EventHandler<LifecycleEvent>;
    set.add(stored);
    return () => set.delete(stored);
  }

  /** Listens to every event; returns a function that removes the listener. */
  onAny(handler: EventHandler<LifecycleEvent>): () => void {
    this.any.add(handler);
    return () => this.any.delete(handler);
  }

  /** Events async iterators dropped because their reader fell behind, since the hub was made (never goes back). */
  get droppedByIterators(): number {
    return this.dropped;
  }

  /** Delivers one event to every listener and iterator. */
  emit(event: LifecycleEvent): void {
    const typed = this.byType.get(event.type);
    if (typed) for (const handler of typed) this.call(handler, event);
    for (const handler of this.any) this.call(handler, event);
    for (const state of this.iterators) {
      if (state.waiting) {
        const resolve = state.waiting;
        state.waiting = undefined;
        resolve({ value: event, done: false });
      } else if (state.buffer.length < this.iteratorBuffer) {
        state.buffer.push(event);
      } else {
        const lost = state.buffer.shift()!;
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
    for (const state of this.iterators) {
      state.done = true;
      if (state.waiting) {
        const resolve = state.waiting;
        state.waiting = undefined;
        resolve({ value: undefined, done: true });
      }
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<LifecycleEvent> {
    const state: IteratorState = { buffer: [], waiting: undefined, dropped: 0, done: false };
    this.iterators.add(state);
    const finish = (): IteratorResult<LifecycleEvent> => {
      this.iterators.delete(state);
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        const queued = state.buffer.shift();
        if (queued) return Promise.resolve({ value: queued, done: false });
        if (state.done) return Promise.resolve(finish());
        return new Promise((resolve) => {
          state.waiting = resolve;
        });
      },
      return: () => Promise.resolve(finish()),
    };
  }

  private call(handler: EventHandler<LifecycleEvent>, event: LifecycleEvent): void {
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
