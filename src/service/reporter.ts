/**
 * Lines for the operator on stderr: the start-up summary and progress of what takes time (connecting, backfills,
 * decisions). On a terminal, a progress line is rewritten in place until a permanent line replaces it; otherwise
 * (a log file, a container) every line is plain and permanent, so nothing is lost or garbled.
 */
import type { Writable } from 'node:stream';

/** Where the service writes its summary and progress lines. */
export interface Reporter {
  /** A permanent line. */
  line(text: string): void;
  /** A transient line (in place on a terminal; a plain line otherwise). */
  progress(text: string): void;
}

/** A reporter on a stream; `tty` defaults to whether the stream is a terminal. */
export function createReporter(
  stream: Writable = process.stderr,
  options: { tty?: boolean; prefix?: string } = {},
): Reporter {
  const tty = options.tty ?? (stream as Writable & { isTTY?: boolean }).isTTY === true;
  const prefix = options.prefix ?? 'switchboard: ';
  let transient = false;
  const clear = () => {
    if (transient) stream.write('\r\x1b[2K');
    transient = false;
  };
  return {
    line(text) {
      clear();
      stream.write(`${prefix}${text}\n`);
    },
    progress(text) {
      if (!tty) {
        stream.write(`${prefix}${text}\n`);
        return;
      }
      clear();
      stream.write(`${prefix}${text}`);
      transient = true;
    },
  };
}

/** A reporter that keeps the lines (tests) and optionally passes them on. */
export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    line: (text) => lines.push(text),
    progress: (text) => lines.push(text),
  };
}
