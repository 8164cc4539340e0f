/**
 * Timestamps in snapshots are ISO-8601 UTC, usually with milliseconds (`2024-03-12T14:03:21.118Z`), sometimes
 * without (`2024-03-12T14:03:21Z`). Normalising them once, at parse time, to the millisecond form lets the
 * deriver compare them as plain strings and emit them as they are.
 */

/** `value` as `YYYY-MM-DDTHH:mm:ss.sssZ`, or undefined when it is absent or not a date. */
export function normalizeTimestamp(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Fast path: the platform's usual shape is already normal; check the fixed positions instead of parsing.
  if (value.length === 24 && value.charCodeAt(23) === 90 && value.charCodeAt(19) === 46) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The earlier of two normalised timestamps, either of which may be absent. */
export function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b < a ? b : a;
}

/** The later of two normalised timestamps, either of which may be absent. */
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b > a ? b : a;
}

/** Milliseconds between two normalised timestamps (b - a), or undefined when either is absent. */
export function millisBetween(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  return Date.parse(b) - Date.parse(a);
}
