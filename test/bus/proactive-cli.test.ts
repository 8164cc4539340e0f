import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/index.js';
import { runProactiveCommand } from '../../src/cli/commands/proactive.js';
import { ConfigError } from '../../src/errors.js';
import type { LifecycleEvent } from '../../src/events.js';
import { silentLogger } from '../../src/logging.js';
import { createNatsSink } from '../../src/sinks/index.js';
import {
  eventsOf,
  type Harness,
  outbound,
  returningContacts,
  scriptConversation,
  startHarness,
} from '../proactive/helpers.js';
import { deleteStreams, freePort, sleep, testBus, uniqueName, uniquePrefix } from './helpers.js';

let h: Harness;
let bus: Bus;
const stream = uniqueName('proactive');
before(async () => {
  h = await startHarness({ seed: 777 });
  bus = await testBus();
});
after(async () => {
  await deleteStreams(bus, stream);
  await bus?.close();
  await h?.stop();
});

function capture(): { stream: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream: out, text: () => Buffer.concat(chunks).toString('utf8') };
}

function rulesFile(): string {
  const code = h.emulator.world!.org.wrapupCodes[0]!;
  const path = join(h.dir, 'bus-rules.yaml');
  writeFileSync(
    path,
    `
settings: { sendsPerMinute: 100000, reconcile: { graceSeconds: 0, skewSeconds: 5 } }
rules:
  - id: bus-welcome
    trigger: { event: conversation.wrapup, mediaType: message, messageType: webmessaging, wrapupCode: ${JSON.stringify(code.name)} }
    history: { minConversations: 1, withinDays: 30 }
    channels: [open, sms]
    message: { text: "Thanks for chatting with us again." }
    policy: { quietHours: false }
`,
  );
  return path;
}

async function publish(events: LifecycleEvent[], prefix: string): Promise<void> {
  const sink = createNatsSink({ kind: 'nats', url: bus.description, stream, subjectPrefix: prefix }, { bus });
  for (const event of events) sink.write(event);
  assert.equal(await sink.flush({ timeoutMs: 10_000 }), true);
  await sink.close();
}

const env = () => ({
  GENESYS_CLOUD_REGION: h.emulator.url,
  GENESYS_CLOUD_CLIENT_ID: 'switchboard-demo',
  GENESYS_CLOUD_CLIENT_SECRET: 'switchboard-demo-secret',
});

describe('switchboard proactive --bus', () => {
  it('decides on events from the stream, acks them, and does not see them again on the next run', async () => {
    const contact = returningContacts(h.emulator).reachable[0]!;
    const conversationId = await scriptConversation(h.emulator, {
      kind: 'webmessaging',
      externalContactId: contact.id,
      wrapupCode: h.emulator.world!.org.wrapupCodes[0]!.id,
    });
    const events = await eventsOf(h.emulator, conversationId);
    await publish(events, uniquePrefix('proactive'));
    const durable = uniqueName('engine');
    const rules = rulesFile();
    const db = join(h.dir, 'bus.db');
    const sendsTo = async () =>
      (await outbound(h.emulator)).filter((s) => s.externalContactId === contact.id);

    const run = async (done: () => Promise<boolean>) => {
      const stdout = capture();
      const stderr = capture();
      const stop = new AbortController();
      const limit = setTimeout(() => stop.abort(), 30_000);
      const running = runProactiveCommand(
        { rules, db, bus: bus.description, stream, durable },
        {
          stdout: stdout.stream,
          stderr: stderr.stream,
          logger: silentLogger(),
          env: env(),
          signal: stop.signal,
        },
      );
      try {
        while (!stop.signal.aborted && !(await done())) await sleep(50);
      } finally {
        stop.abort();
        clearTimeout(limit);
      }
      await running;
      return { stdout: stdout.text(), stderr: stderr.text() };
    };

    const settled = async () => {
      const info = await bus.manager.consumers.info(stream, durable);
      return (
        info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq >= events.length
      );
    };
    const first = await run(async () => (await sendsTo()).length > 0 && (await settled()));
    assert.match(
      first.stderr,
      new RegExp(`reading events from nats://[^ ]+, stream ${stream}, durable consumer ${durable}`),
    );
    assert.match(first.stdout, /^SENT +rule=bus-welcome/m);
    assert.equal((await sendsTo()).length, 1, 'one message sent');
    const info = await bus.manager.consumers.info(stream, durable);
    assert.equal(info.ack_floor.stream_seq, events.length, 'every event acknowledged');
    assert.equal(info.num_redelivered, 0);

    // A restart with the same durable: its place is kept, so nothing is read or decided again.
    const second = await run(async () => {
      await sleep(1_500);
      return true;
    });
    assert.doesNotMatch(second.stdout, /rule=bus-welcome/);
    assert.equal((await sendsTo()).length, 1, 'still one message');
    assert.equal((await bus.manager.consumers.info(stream, durable)).num_redelivered, 0);
  });

  it('refuses --once with --bus, and an unreachable bus, before doing anything', async () => {
    const rules = rulesFile();
    const io = { stdout: capture().stream, stderr: capture().stream, logger: silentLogger(), env: env() };
    await assert.rejects(
      runProactiveCommand({ rules, db: join(h.dir, 'x.db'), once: true, bus: bus.description }, io),
      (error: unknown) => error instanceof ConfigError && /--once/.test(error.message),
    );
    const port = await freePort();
    await assert.rejects(
      runProactiveCommand({ rules, db: join(h.dir, 'y.db'), bus: `nats://127.0.0.1:${port}` }, io),
      (error: unknown) => error instanceof ConfigError && /Could not connect to NATS/.test(error.message),
    );
    await assert.rejects(
      runProactiveCommand({ rules, db: join(h.dir, 'z.db'), durable: 'x' }, io),
      (error: unknown) => error instanceof ConfigError && /only apply with --bus/.test(error.message),
    );
  });
});
