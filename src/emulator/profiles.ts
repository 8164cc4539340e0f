/**
 * Named worlds. `large` is a big contact centre at the volume the stream must keep up with at the platform's default
 * rate limit: thousands of agents, about 1,000 new conversations a real minute and about 5,000 live at once (the
 * emulated durations, 6–7 minutes on average, run 1.3 times faster).
 */
import type { WorldSettings } from './world/index.js';

export const PROFILES = {
  default: {},
  large: {
    agents: 3000,
    queues: 200,
    contacts: 20_000,
    historyDays: 1,
    historyConversationsPerDay: 2000,
    // Arrivals are per emulated minute: 770 at 1.3× is about 1,000 per real minute.
    conversationsPerMinute: 770,
    timeScale: 1.3,
    maxConversations: 200_000,
  },
} as const satisfies Record<string, Partial<WorldSettings>>;

export type ProfileName = keyof typeof PROFILES;

/** The world settings of a profile, or a clear error naming the known ones. */
export function profileSettings(name: string): Partial<WorldSettings> {
  const profile = (PROFILES as Record<string, Partial<WorldSettings>>)[name];
  if (!profile)
    throw new RangeError(`Unknown emulator profile "${name}"; known: ${Object.keys(PROFILES).join(', ')}`);
  return profile;
}
