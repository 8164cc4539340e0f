/** Whether it is quiet hours in a customer's time zone, and when the window ends, daylight saving included. */
import { localMinuteOfDay } from '../customer/local-time.js';
import type { QuietHours } from '../rules/types.js';

/** Whether a local minute lies in the window (which may span midnight). */
export function inQuietHours(minute: number, quiet: QuietHours): boolean {
  const { startMinute: start, endMinute: end } = quiet;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** When the quiet window around `epochMs` ends (epoch ms), or undefined when `epochMs` is not in quiet hours. */
export function quietUntil(epochMs: number, quiet: QuietHours, timeZone: string): number | undefined {
  const minute = localMinuteOfDay(epochMs, timeZone);
  if (!inQuietHours(minute, quiet)) return undefined;
  const startOfMinute = epochMs - (epochMs % 60_000);
  let candidate = startOfMinute + ((quiet.endMinute - minute + 1440) % 1440 || 1440) * 60_000;
  // A daylight-saving change inside the window shifts local time; correct by the difference (twice at most).
  for (let i = 0; i < 2; i++) {
    let diff = quiet.endMinute - localMinuteOfDay(candidate, timeZone);
    if (diff > 720) diff -= 1440;
    if (diff < -720) diff += 1440;
    if (diff === 0) break;
    candidate += diff * 60_000;
  }
  return candidate;
}

/** `21:00` from minutes after midnight. */
export function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
