/** Small helpers for rendering the platform's JSON: ISO times, sparse objects, phone digits. */

const isoCache = new Map<number, string>();

/** ISO-8601 UTC with milliseconds. Snapshots repeat the same times over and over, hence a small cache. */
export function iso(ms: number): string {
  let text = isoCache.get(ms);
  if (text === undefined) {
    if (isoCache.size >= 50_000) isoCache.clear();
    text = new Date(ms).toISOString();
    isoCache.set(ms, text);
  }
  return text;
}

/** {@link iso}, or undefined for an unknown time. */
export function isoOpt(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : iso(ms);
}

/** A copy with only the keys whose value is defined: the platform omits keys rather than sending null. */
export function sparse<T>(value: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}

/** The digits of a phone-like address (`+1 317-555-0123` → `13175550123`). */
export function digitsOf(address: string): string {
  return address.replace(/[^0-9]/g, '');
}
