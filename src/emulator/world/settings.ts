/** Settings of the emulated world, with lively defaults. */

/** Relative weights of the kinds of inbound traffic the simulator generates. */
export interface TrafficMix {
  voice: number;
  webmessaging: number;
  sms: number;
  whatsapp: number;
  open: number;
  email: number;
  callback: number;
}

export interface WorldSettings {
  /** Everything random in the world derives from this seed. */
  seed: number;
  /** Number of agents (users) in the org. */
  agents: number;
  /** Number of routing queues. */
  queues: number;
  /** External contacts in the org. */
  contacts: number;
  /** Days of seeded past conversations (analytics and GET by id only; never published). */
  historyDays: number;
  /** Average past conversations per day of history. */
  historyConversationsPerDay: number;
  /** Average arrivals of live conversations per emulated minute (0 = no spontaneous traffic). */
  conversationsPerMinute: number;
  /** Emulated time runs this many times faster than the clock: 60 turns a 5-minute conversation into 5 s. */
  timeScale: number;
  /** Put participants' `wrapup` into notifications (no public capture shows it there; off by default). */
  wrapupInNotifications: boolean;
  /** Probability that a published snapshot is published again, identical, a little later. */
  duplicateSnapshotProbability: number;
  /** Wall-clock delay of such a duplicate. */
  duplicateSnapshotDelayMs: number;
  /** Largest analytics page size accepted (the real maximum is unverified: 100 is documented as safe). */
  analyticsMaxPageSize: number;
  /** Analytics stops paging after this many results. */
  analyticsMaxResults: number;
  /**
   * How long a change takes to show in analytics (the platform: seconds, unverified how many), plus a uniform jitter
   * of up to `analyticsLagJitterMs`. Seeded history is visible at once.
   */
  analyticsLagMs: number;
  analyticsLagJitterMs: number;
  /** Ids the analytics multi-get (`GET /api/v2/analytics/conversations/details?id=…`) takes at once (unverified). */
  analyticsMultiGetMax: number;
  /** Hours after a customer's last inbound WhatsApp message during which free text may be sent. */
  whatsappWindowHours: number;
  /** Mix of live and historical traffic. */
  mix: TrafficMix;
  /** Conversations kept for REST and analytics; beyond this the oldest ended ones are forgotten. */
  maxConversations: number;
  /** Ground-truth facts kept; beyond this the oldest are dropped. */
  maxGroundTruthFacts: number;
}

/** A lively default world: a few conversations a minute, 30 days of history, 20 agents, 5 queues, real time. */
export const defaultWorldSettings: WorldSettings = {
  seed: 20250115,
  agents: 20,
  queues: 5,
  contacts: 60,
  historyDays: 30,
  historyConversationsPerDay: 120,
  conversationsPerMinute: 3,
  timeScale: 1,
  wrapupInNotifications: false,
  duplicateSnapshotProbability: 0.2,
  duplicateSnapshotDelayMs: 150,
  analyticsMaxPageSize: 100,
  analyticsMaxResults: 100_000,
  analyticsLagMs: 3000,
  analyticsLagJitterMs: 2000,
  analyticsMultiGetMax: 100,
  whatsappWindowHours: 24,
  mix: { voice: 35, webmessaging: 25, sms: 8, whatsapp: 10, open: 6, email: 10, callback: 6 },
  maxConversations: 50_000,
  maxGroundTruthFacts: 1_000_000,
};

/** Defaults overlaid with the given settings; throws on values that cannot work. */
export function resolveSettings(partial: Partial<WorldSettings>): WorldSettings {
  const settings: WorldSettings = {
    ...defaultWorldSettings,
    ...partial,
    mix: { ...defaultWorldSettings.mix, ...partial.mix },
  };
  const positive: (keyof WorldSettings)[] = [
    'agents',
    'queues',
    'timeScale',
    'analyticsMaxPageSize',
    'analyticsMultiGetMax',
    'maxConversations',
    'maxGroundTruthFacts',
  ];
  for (const key of positive) {
    const value = settings[key];
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`World setting ${key} must be > 0`);
  }
  const nonNegative: (keyof WorldSettings)[] = [
    'contacts',
    'historyDays',
    'historyConversationsPerDay',
    'conversationsPerMinute',
    'analyticsLagMs',
    'analyticsLagJitterMs',
    'duplicateSnapshotProbability',
    'duplicateSnapshotDelayMs',
    'whatsappWindowHours',
  ];
  for (const key of nonNegative) {
    const value = settings[key];
    if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`World setting ${key} must be >= 0`);
  }
  if (settings.queues > settings.agents) throw new RangeError('World setting queues must not exceed agents');
  return settings;
}
