/**
 * Realistic notification frames for the benchmarks: the emulator's traffic simulator publishes whole-conversation
 * snapshots exactly as a subscriber would receive them, and we keep each as the text of a WebSocket frame. Same
 * seed → same frames, so runs compare.
 */
import { randomUUID } from 'node:crypto';
import { createWorld } from '../src/emulator/world/index.js';

/** Records `count` frames of simulated traffic (voice, messaging, email, callback; transfers; after-call work). */
export function recordFrames(count: number, seed = 20_261_123): string[] {
  const frames: string[] = [];
  const world = createWorld(
    { seed, historyDays: 0 },
    {
      publish(topicName, eventBody) {
        frames.push(
          JSON.stringify({ topicName, version: '2', eventBody, metadata: { CorrelationId: randomUUID() } }),
        );
      },
    },
  );
  world.burst(count);
  void world.stop();
  return frames.slice(0, count);
}
