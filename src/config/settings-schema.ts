/**
 * Pieces every settings schema is built from (`switchboard.yaml` and the sink kinds' parts of it): non-empty
 * strings, durations written as `30s`, `10m`, `1h` or a number of milliseconds, and checks that throw ConfigError.
 */
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `10m`, `1h`, `1d`, or a number of milliseconds; undefined when not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

/** A duration setting, read into milliseconds. */
export const duration = z
  .union([z.number(), z.string()], { message: 'expected a duration such as "30s" or a number of ms' })
  .transform((value, context) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      context.addIssue({
        code: 'custom',
        message: `expected a duration such as "30s", "10m" or a number of ms, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A non-empty string, trimmed. */
export const text = z
  .string({ message: 'expected a string' })
  .trim()
  .min(1, { message: 'expected a non-empty string' });

/** A check that throws ConfigError, as a zod refinement reporting the error's message (never a credential). */
export function checked(check: (value: string) => void) {
  return text.superRefine((value, context) => {
    try {
      check(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
}
