/**
 * Test harness for the proactive engine: a real emulator on port 0, a platform client against it, a ledger on a
 * temporary SQLite file, and lifecycle events taken from the emulator's ground truth (the facts the stream
 * pipeline derives, with the same ids).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, type StartEmulatorOptions, startEmulator } from '../../src/emulator/index.js';
import type { GroundTruthFact, OrgContact, OutboundRecord } from '../../src/emulator/world/index.js';
import type { LifecycleEvent } from '../../src/events.js';
import { createPlatformClient, type PlatformClient } from '../../src/platform/index.js';
import { defineRules, type RuleInput, type RuleSet, type RulesFileInput } from '../../src/proactive/index.js';
import { type LedgerStore, ledgerOf, openSqliteStore, type SqliteStore } from '../../src/store/index.js';
import { waitFor } from '../helpers/wait-for.js';

export interface Harness {
  emulator: Emulator;
  client: PlatformClient;
  dir: string;
  dbPath: string;
  /** Opens the ledger database (the harness's own by default); closed by `stop()`. */
  openLedger(path?: string): { store: SqliteStore; ledger: LedgerStore };
  stop(): Promise<void>;
}

/** A small, quiet world: no spontaneous traffic, a few days of history, fast emulated time. */
export async function startHarness(options: Partial<StartEmulatorOptions> = {}): Promise<Harness> {
  const emulator = await startEmulator({
    port: 0,
    seed: 424242,
    conversationsPerMinute: 0,
    historyDays: 10,
    historyConversationsPerDay: 30,
    timeScale: 200,
    ...options,
  });
  const client = newClient(emulator);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-proactive-'));
  const stores: SqliteStore[] = [];
  return {
    emulator,
    client,
    dir,
    dbPath: join(dir, 'ledger.db'),
    openLedger(path = join(dir, 'ledger.db')) {
      const store = openSqliteStore({ path });
      stores.push(store);
      return { store, ledger: ledgerOf(store) };
    },
    async stop() {
      await client.close();
      for (const store of stores) await store.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A platform client on the emulator with short retry delays. */
export function newClient(
  emulator: Emulator,
  clientId = 'switchboard-demo',
  clientSecret = 'switchboard-demo-secret',
): PlatformClient {
  return createPlatformClient({
    region: emulator.url,
    clientId,
    clientSecret,
    retry: { initialDelayMs: 20, maxDelayMs: 200 },
  });
}

/** Rules with test-friendly settings (no pacing, no cache surprises, immediate reconciliation). */
export function testRules(rules: RuleInput[], extra: Omit<RulesFileInput, 'rules'> = {}): RuleSet {
  return defineRules({
    ...extra,
    settings: {
      sendsPerMinute: 100_000,
      ...extra.settings,
      reconcile: { graceSeconds: 0, skewSeconds: 5, ...extra.settings?.reconcile },
    },
    rules,
  });
}

/** Every accepted agentless send, from the emulator's admin route (the "never sent twice" oracle). */
export async function outbound(emulator: Emulator): Promise<OutboundRecord[]> {
  const reply = await fetch(`${emulator.url}/__emulator/outbound`);
  return ((await reply.json()) as { sends: OutboundRecord[] }).sends;
}

/** Returning web messaging customers of the seeded org, opted-out ones apart. */
export function returningContacts(emulator: Emulator): { reachable: OrgContact[]; optedOut: OrgContact[] } {
  const org = emulator.world!.org;
  const returning = org.returningWebMessagingContactIds.map((id) => org.contactById.get(id)!);
  return { reachable: returning.filter((c) => !c.optedOut), optedOut: returning.filter((c) => c.optedOut) };
}

/** A lifecycle event from a ground-truth fact (the deriver gives the same fact the same id). */
export function factToEvent(fact: GroundTruthFact): LifecycleEvent | undefined {
  const base = {
    id: fact.id,
    conversationId: fact.conversationId,
    occurredAt: fact.occurredAt,
    observedAt: new Date().toISOString(),
    mediaType: fact.mediaType,
    ...(fact.messageType ? { messageType: fact.messageType } : {}),
    source: { kind: 'replay' as const },
  };
  const leg = {
    participantId: fact.participantId ?? '',
    purpose: 'agent',
    ...(fact.userId ? { userId: fact.userId } : {}),
    ...(fact.queueId ? { queueId: fact.queueId } : {}),
  };
  switch (fact.type) {
    case 'conversation.started':
      return {
        ...base,
        type: fact.type,
        direction: 'inbound',
        customer: {
          participantId: fact.participantId ?? '',
          purpose: 'customer',
          ...(fact.externalContactId ? { externalContactId: fact.externalContactId } : {}),
        },
      };
    case 'participant.joined':
      return { ...base, type: fact.type, participant: leg };
    case 'participant.left':
      return { ...base, type: fact.type, participant: leg };
    case 'conversation.wrapup':
      return {
        ...base,
        type: fact.type,
        participant: leg,
        ...(fact.wrapupCode ? { code: fact.wrapupCode } : {}),
        ...(fact.wrapupCodeName ? { codeName: fact.wrapupCodeName } : {}),
        afterCallWork: fact.afterCallWork ?? 'unknown',
      };
    case 'conversation.ended':
      return { ...base, type: fact.type };
    default:
      return undefined;
  }
}

/** Starts a scripted conversation through the admin route; returns its id. */
export async function scriptConversation(
  emulator: Emulator,
  script: Record<string, unknown>,
): Promise<string> {
  const reply = await fetch(`${emulator.url}/__emulator/conversations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ transfer: 'none', durationMs: 4000, ...script }),
  });
  if (reply.status !== 201) throw new Error(`scripted conversation refused: ${await reply.text()}`);
  return ((await reply.json()) as { conversationId: string }).conversationId;
}

/** Waits until the conversation's facts include every type of `until`; returns its events so far (bounded). */
export async function eventsOf(
  emulator: Emulator,
  conversationId: string,
  until: LifecycleEvent['type'][] = ['conversation.ended', 'conversation.wrapup'],
  timeoutMs = 8000,
): Promise<LifecycleEvent[]> {
  const facts = await waitFor(
    () => {
      const facts = emulator.world!.groundTruth().filter((f) => f.conversationId === conversationId);
      return until.every((type) => facts.some((f) => f.type === type)) ? facts : undefined;
    },
    `${until.join(' and ')} of ${conversationId}`,
    timeoutMs,
  );
  return facts.map(factToEvent).filter((e): e is LifecycleEvent => e !== undefined);
}

/** Posts fault commands to the emulator. */
export async function injectFaults(emulator: Emulator, commands: unknown): Promise<void> {
  const reply = await fetch(`${emulator.url}/__emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(commands),
  });
  if (!reply.ok) throw new Error(`fault refused: ${await reply.text()}`);
}
