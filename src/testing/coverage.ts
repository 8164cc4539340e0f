/**
 * Comparing the events a consumer received with what really happened: the emulator's ground truth lists every
 * lifecycle fact of its world with the id the stream derives for it, so a comparison by id finds what was missed,
 * what came twice and what never happened.
 */
import type { GroundTruthFact } from '../emulator/world/ground-truth.js';

/** The received events against the ground truth, by event id. */
export interface Coverage {
  /** Facts in the ground truth. */
  truth: number;
  /** Events received, duplicates included. */
  received: number;
  /** Facts no received event has the id of. */
  missing: GroundTruthFact[];
  /** Ids received more than once, with how many times. */
  duplicates: Array<{ id: string; count: number }>;
  /** Ids received that no fact has: events of something that did not happen. */
  unknown: string[];
}

/**
 * Compares received events (anything with an `id`: lifecycle events, or what a consumer stored of them) with the
 * emulator's ground truth (`emulator.world.groundTruth()`). Everything that happened was received once and nothing else
 * was when `missing`, `duplicates` and `unknown` are all empty — see {@link isComplete}.
 */
export function compareWithGroundTruth(
  received: Iterable<{ readonly id: string }>,
  truth: readonly GroundTruthFact[],
): Coverage {
  const seen = new Map<string, number>();
  let count = 0;
  for (const event of received) {
    seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
    count += 1;
  }
  const truthIds = new Set(truth.map((fact) => fact.id));
  return {
    truth: truth.length,
    received: count,
    missing: truth.filter((fact) => !seen.has(fact.id)),
    duplicates: [...seen].filter(([, times]) => times > 1).map(([id, times]) => ({ id, count: times })),
    unknown: [...seen.keys()].filter((id) => !truthIds.has(id)),
  };
}

/** Whether every fact was received, once, and nothing else was. */
export function isComplete(coverage: Coverage): boolean {
  return coverage.missing.length === 0 && coverage.duplicates.length === 0 && coverage.unknown.length === 0;
}
