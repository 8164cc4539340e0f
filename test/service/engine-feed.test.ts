/**
 * The proactive engine is fed through a sink: an engine slower than the stream makes events wait, it never loses
 * them. (It used to read an in-process iterator that kept 10,000 events and dropped the oldest past that.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConversationStream } from '../../src/pipeline/conversation-stream.js';
import { createProactiveRuntime } from '../../src/service/proactive.js';
import type { ProactiveRuntimeFactory } from '../../src/service/proactive-runtime.js';
import { startService } from '../../src/service/service.js';
import { waitFor } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, tempDir } from './helpers.js';

// One event rule (web messaging conversations ending): the voice conversations below match no rule, so the engine
// decides quickly once it reads; what is measured is whether it is handed every event.
const RULES = fileURLToPath(new URL('../fixtures/replica-rules.yaml', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/snapshots/voice-inbound-basic.jsonl', import.meta.url));
/** Past the 10,000 events the old in-process iterator kept for a reader that fell behind. */
const CONVERSATIONS = 6_500;

/**
 * Notification frames of many conversations, each the recorded voice call's customer and IVR legs only (no agent
 * leg: nothing to look up in analytics), under a conversation id of its own.
 */
function framesOfManyConversations(count: number): string[] {
  const recorded = readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const frame = JSON.parse(line) as {
        eventBody: { id: string; participants: Array<{ purpose?: string }> };
      };
      frame.eventBody.participants = frame.eventBody.participants.filter(
        (p) => p.purpose === 'customer' || p.purpose === 'ivr',
      );
      return frame;
    });
  const id = recorded[0]!.eventBody.id;
  const templates = recorded.map((frame) => JSON.stringify(frame));
  const frames: string[] = [];
  for (let n = 0; n < count; n++) {
    const conversationId = `${id.slice(0, 24)}${n.toString(16).padStart(12, '0')}`;
    for (const template of templates) frames.push(template.replaceAll(id, conversationId));
  }
  return frames;
}

describe('the proactive engine behind the stream', () => {
  it('gets every event when it is slower than the stream for more than 10,000 events', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 5 });
    const temp = tempDir();
    // The real engine, which does not read at all until the test lets it: the stream runs far ahead of it.
    let letRead: () => void = () => undefined;
    const reading = new Promise<void>((resolve) => {
      letRead = resolve;
    });
    const settled = new Set<string>();
    const slowEngine: ProactiveRuntimeFactory = (input) => {
      const engine = createProactiveRuntime(input);
      return {
        summary: () => engine.summary(),
        run: async (events, signal, options) => {
          await Promise.race([
            reading,
            new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
          ]);
          await engine.run(events, signal, {
            onEventSettled: (event, error) => {
              if (error === undefined) settled.add(event.id);
              options?.onEventSettled?.(event, error);
            },
          });
        },
      };
    };
    const service = await startService({
      config: configFor(emulator, temp.dir, {
        proactive: { rulesPath: RULES, dryRun: true },
      }),
      proactive: slowEngine,
      reporter: capturingReporter(),
    });
    try {
      const emitted = new Set<string>();
      service.stream.onAny((event) => {
        emitted.add(event.id);
      });
      const stream = service.stream as ConversationStream;
      for (const frame of framesOfManyConversations(CONVERSATIONS)) stream.pipeline.receiveFrame(frame);
      assert.ok(emitted.size > 12_000, `more than 10,000 events went by the engine (${emitted.size})`);
      assert.equal(settled.size, 0, 'the engine has read nothing yet');

      letRead();
      const expected = [...emitted];
      await waitFor(
        () => expected.every((id) => settled.has(id)),
        `the engine to settle all ${expected.length} events the stream derived`,
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      const health = (await (await fetch(`${service.url}/api/health`)).json()) as {
        stream: { sinks: Array<{ name: string; dropped: number; failed: number }> };
        iterators: { dropped: number };
      };
      const engineSink = health.stream.sinks.find((sink) => sink.name === 'proactive');
      assert.ok(engineSink, 'the engine is fed through its own sink, in health');
      assert.equal(engineSink.dropped, 0);
      assert.equal(engineSink.failed, 0);
      assert.equal(health.iterators.dropped, 0, 'no in-process iterator dropped anything');
    } finally {
      letRead();
      await service.stop('test done');
      await emulator.stop();
      temp.remove();
    }
  });
});
