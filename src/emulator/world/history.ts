/**
 * Seeded history: `historyDays` of past conversations, played instantly before the world starts. They are in
 * analytics and `GET /api/v2/conversations/{id}`, never in notifications or ground truth. Besides ordinary traffic
 * (with anonymous web messaging guests), each returning web messaging customer of the org gets several
 * authenticated web messaging conversations.
 */
import type { Org } from './org.js';
import { hashSeed, Random } from './random.js';
import { planConversation } from './scenario.js';
import type { ConversationScript } from './script.js';
import type { WorldSettings } from './settings.js';
import { pickChannel, type Simulation } from './simulation.js';

const DAY_MS = 86_400_000;
/** History stops this long before the world starts, so that every past conversation has ended. */
const QUIET_BEFORE_START_MS = 2 * 3_600_000;

/** Plays the seeded history into the simulation's store; returns how many conversations it added. */
export function seedHistory(settings: WorldSettings, org: Org, simulation: Simulation, now: number): number {
  if (settings.historyDays <= 0) return 0;
  const rng = new Random(hashSeed(settings.seed, 'history'));
  const end = now - QUIET_BEFORE_START_MS;
  const begin = now - settings.historyDays * DAY_MS;
  const span = end - begin;
  if (span <= 0) return 0;

  const arrivals: { start: number; script?: ConversationScript }[] = [];
  const total = Math.round(settings.historyDays * settings.historyConversationsPerDay);
  for (let i = 0; i < total; i++) arrivals.push({ start: begin + Math.floor(rng.next() * span) });
  for (const contactId of org.returningWebMessagingContactIds) {
    const visits = rng.int(3, 6);
    for (let i = 0; i < visits; i++) {
      arrivals.push({
        start: begin + Math.floor(rng.next() * span),
        script: { kind: 'webmessaging', externalContactId: contactId, transfer: 'none' },
      });
    }
  }
  arrivals.sort((a, b) => a.start - b.start);

  arrivals.forEach((arrival, index) => {
    const conversationRng = new Random(hashSeed(settings.seed, 'history', index));
    const script = arrival.script ?? { kind: pickChannel(conversationRng, settings) };
    const plan = planConversation(conversationRng, org, script, 'history');
    const duration = plan.steps.at(-1)?.at ?? 0;
    // Keep the whole conversation in the past.
    const start = Math.min(arrival.start, end - duration);
    simulation.playSilently(plan, start);
  });
  return arrivals.length;
}
