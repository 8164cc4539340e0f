/**
 * Test helpers for the event bus: the shared NATS (SWITCHBOARD_TEST_NATS), unique stream names, reading a stream
 * back, and private nats-server processes on free loopback ports for restarts and odd configurations.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredMsg } from '@nats-io/jetstream';
import { type Bus, connectBus } from '../../src/bus/index.js';
import { eventId, type LifecycleEvent } from '../../src/events.js';
import { waitForAsync } from '../helpers/wait-for.js';

export const NATS_URL = process.env.SWITCHBOARD_TEST_NATS ?? 'nats://127.0.0.1:4222';
/** The nats-server binary: from PATH unless SWITCHBOARD_NATS_SERVER names one. */
const NATS_SERVER = process.env.SWITCHBOARD_NATS_SERVER ?? 'nats-server';

/** A name no other test run uses: `T_<what>_<random>`. */
export function uniqueName(what: string): string {
  return `T_${what}_${randomBytes(5).toString('hex')}`;
}

/** A subject prefix of the same kind: `t.<what>.<random>`. */
export function uniquePrefix(what: string): string {
  return `t.${what}.${randomBytes(5).toString('hex')}`;
}

/** Connects to the shared test NATS. */
export function testBus(): Promise<Bus> {
  return connectBus({ url: NATS_URL, name: 'switchboard-test' });
}

/** Deletes streams after a test, ignoring those already gone. */
export async function deleteStreams(bus: Bus, ...names: string[]): Promise<void> {
  for (const name of names) await bus.manager.streams.delete(name).catch(() => false);
}

/** Every message of the stream, in stream order. */
export async function readStream(bus: Bus, stream: string): Promise<StoredMsg[]> {
  const info = await bus.manager.streams.info(stream);
  const out: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const message = await bus.manager.streams.getMessage(stream, { seq }).catch(() => null);
    if (message) out.push(message);
  }
  return out;
}

/** Events as stored in the stream (JSON bodies). */
export async function storedEvents(bus: Bus, stream: string): Promise<LifecycleEvent[]> {
  return (await readStream(bus, stream)).map((message) => message.json<LifecycleEvent>());
}

let counter = 0;

/** A realistic, distinct event of the conversation (`participant.joined`, or the type given). */
export function eventOf(
  conversationId: string,
  type: 'joined' | 'started' | 'ended' = 'joined',
): LifecycleEvent {
  counter += 1;
  const base = {
    conversationId,
    occurredAt: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, counter)).toISOString(),
    observedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, 1, counter)).toISOString(),
    mediaType: 'message' as const,
    messageType: 'webmessaging',
    source: { kind: 'replay' as const },
  };
  if (type === 'started') {
    return {
      ...base,
      id: eventId(conversationId, 'conversation.started'),
      type: 'conversation.started',
      direction: 'inbound',
    };
  }
  if (type === 'ended') {
    return { ...base, id: eventId(conversationId, 'conversation.ended'), type: 'conversation.ended' };
  }
  const participantId = `a9e1d3f2-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  return {
    ...base,
    id: eventId(conversationId, 'participant.joined', participantId),
    type: 'participant.joined',
    participant: { participantId, purpose: 'agent' },
  };
}

/** A conversation id unique to this run. */
export function conversationId(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A nats-server of the test's own. */
export interface OwnNats {
  url: string;
  port: number;
  /** Stops it: SIGKILL for a crash (the default), SIGTERM for an orderly stop. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (and store directory). */
  restart(): Promise<void>;
  /** Stops it and removes its store directory. */
  dispose(): Promise<void>;
}

/** Starts nats-server on a free loopback port; `jetstream` gives it a temporary store directory. */
export async function startOwnNats(
  options: { jetstream?: boolean; user?: string; pass?: string } = {},
): Promise<OwnNats> {
  const port = await freePort();
  const storeDir = options.jetstream ? await mkdtemp(join(tmpdir(), 'switchboard-nats-')) : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (storeDir) args.push('-js', '-sd', storeDir);
  if (options.user) args.push('--user', options.user, '--pass', options.pass ?? '');
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(NATS_SERVER, args, { stdio: 'ignore' });
    child = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`nats-server exited early (${code})`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForPort(port, 10_000), exited]);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    async dispose() {
      await stop();
      if (storeDir) await rm(storeDir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  await waitForAsync(() => listening(port), `nats-server to listen on ${port}`, {
    timeoutMs,
    intervalMs: 25,
  });
}

/** Whether something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
