/**
 * A signal that aborts when any of its sources does, and that can be detached once its operation is over.
 * `AbortSignal.any` is not used: on Node 20 the composites it makes from a long-lived source (the client's
 * close signal) are retained for as long as that source lives, one per request.
 */
export interface LinkedSignal {
  signal: AbortSignal;
  /** Aborts the linked signal itself (e.g. on timeout). */
  abort(reason: unknown): void;
  /** Detaches from the sources; call when the operation is over. */
  dispose(): void;
}

/** Links a new signal to `sources` (undefined entries are skipped). */
export function linkSignals(sources: ReadonlyArray<AbortSignal | undefined>): LinkedSignal {
  const controller = new AbortController();
  const attached: Array<[AbortSignal, () => void]> = [];
  const dispose = () => {
    for (const [source, listener] of attached.splice(0)) source.removeEventListener('abort', listener);
  };
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const listener = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener('abort', listener, { once: true });
    attached.push([source, listener]);
  }
  return {
    signal: controller.signal,
    abort: (reason) => {
      controller.abort(reason);
      dispose();
    },
    dispose,
  };
}
