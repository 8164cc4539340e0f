/**
 * What the conformance tests share: an emulator with a varied world (every media, transfers, consults, parked
 * messages, after-call work), a user-context client, and calls that return status and parsed body.
 */
import { DEFAULT_CLIENT, type Emulator, startEmulator } from '../../src/emulator/index.js';
import type { SimConversation } from '../../src/emulator/world/index.js';
import { api, getToken } from '../emulator/helpers.js';
import { waitFor } from '../helpers/wait-for.js';

export interface ConformanceWorld {
  emulator: Emulator;
  token: string;
  /** A token that acts as an agent (a user-context credential). */
  agentToken: string;
  agentId: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Ended conversations of the seeded history and the scripted ones, of every media. */
  conversations(): SimConversation[];
  stop(): Promise<void>;
}

const AGENT_CLIENT = 'conformance-agent';

/** Starts an emulator with history and scripted conversations of every shape the world can make. */
export async function startConformanceWorld(options: { timeScale?: number } = {}): Promise<ConformanceWorld> {
  // The same seed gives the same org: a first look tells which user the agent client acts as.
  const probe = await startEmulator({
    seed: 11,
    historyDays: 0,
    conversationsPerMinute: 0,
    agents: 12,
    queues: 4,
  });
  const agentId = probe.world!.org.users[0]!.id;
  await probe.stop();
  const emulator = await startEmulator({
    seed: 11,
    historyDays: 2,
    conversationsPerMinute: 0,
    agents: 12,
    queues: 4,
    timeScale: options.timeScale ?? 600,
    // The suite walks every route over hundreds of records; the rate limit is not what it checks (errors.test.ts
    // checks the 429 itself).
    rateLimitPerMinute: 1_000_000,
    clients: [{ clientId: AGENT_CLIENT, clientSecret: 'agent-secret', permissions: ['*'], userId: agentId }],
  });
  const token = await getToken(emulator, DEFAULT_CLIENT.clientId, DEFAULT_CLIENT.clientSecret);
  const agentToken = await getToken(emulator, AGENT_CLIENT, 'agent-secret');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await api(emulator, method, path, body === undefined ? { token } : { token, body });
    return { status: response.status, body: response.body };
  };
  return {
    emulator,
    token,
    agentToken,
    agentId,
    call,
    conversations: () => emulator.world!.conversations.startedBetween(0, Number.POSITIVE_INFINITY),
    stop: () => emulator.stop(),
  };
}

/** Scripts one conversation of each shape and waits until all of them ended. */
export async function scriptEveryShape(world: ConformanceWorld): Promise<string[]> {
  const { emulator } = world;
  const org = emulator.world!.org;
  const contact = org.contacts.find((c) => c.whatsAppNumber && c.openMessagingId)!;
  const scripts: Record<string, unknown>[] = [
    { kind: 'voice', transfer: 'blind-queue' },
    { kind: 'voice', transfer: 'consult-user' },
    { kind: 'voice', transfer: 'blind-user', missedAlert: true },
    { kind: 'voice', transfer: 'consult-queue', afterCallWork: 'skipped' },
    { kind: 'webmessaging', externalContactId: contact.id, park: true },
    { kind: 'webmessaging', anonymous: true },
    { kind: 'whatsapp', externalContactId: contact.id },
    { kind: 'sms' },
    { kind: 'open', externalContactId: contact.id },
    { kind: 'email', transfer: 'blind-queue' },
    { kind: 'callback' },
  ];
  const ids: string[] = [];
  for (const script of scripts) {
    const reply = await fetch(`${emulator.url}/__emulator/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ durationMs: 60_000, ...script }),
    });
    if (reply.status !== 201) throw new Error(`scripted conversation refused: ${await reply.text()}`);
    ids.push(((await reply.json()) as { conversationId: string }).conversationId);
  }
  await waitFor(() => emulator.world!.activeConversations === 0, 'scripted conversations to end', 60_000);
  return ids;
}
