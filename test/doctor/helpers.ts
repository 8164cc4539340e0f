/**
 * Doctor against a real emulator: a quiet world (no traffic, one day of history) on port 0, clients with the roles
 * a test needs, rules files written to a temporary folder, and lookups of one check by id.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoctorInput } from '../../src/doctor/index.js';
import { type CheckResult, type DoctorReport, runDoctor } from '../../src/doctor/index.js';
import {
  type ClientDefinition,
  type Emulator,
  type StartEmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';

export const DEMO = { clientId: 'switchboard-demo', clientSecret: 'switchboard-demo-secret' } as const;

/** Starts a quiet emulator with extra clients. */
export function quietEmulator(
  clients: ClientDefinition[] = [],
  options: Partial<StartEmulatorOptions> = {},
): Promise<Emulator> {
  return startEmulator({ port: 0, seed: 7, conversationsPerMinute: 0, historyDays: 1, clients, ...options });
}

/** Runs doctor against an emulator as a client, with an empty environment (nothing leaks in from the shell). */
export function doctor(
  emulator: Emulator | { url: string },
  client: { clientId: string; clientSecret: string },
  input: Omit<DoctorInput, 'region' | 'clientId' | 'clientSecret' | 'env'> = {},
  probeTopics = false,
): Promise<DoctorReport> {
  return runDoctor(
    { region: emulator.url, clientId: client.clientId, clientSecret: client.clientSecret, env: {}, ...input },
    { probeTopics },
  );
}

/** The check with this id; fails the test when the report has none. */
export function check(report: DoctorReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
}

/** Asserts that no check failed or warned, showing the ones that did. */
export function assertAllPass(report: DoctorReport): void {
  const problems = report.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  assert.deepEqual(
    problems.map((c) => `${c.id}: ${c.status}: ${c.detail}`),
    [],
    'every check passes',
  );
  assert.equal(report.ok, true);
}

/** A temporary folder for rules and config files; `cleanup()` removes it. */
export function scratch(): { dir: string; write(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-doctor-'));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A local port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A rules file whose one rule sends on the given channels, with optional senders settings (YAML). */
export function rulesYaml(channels: string[], senders = ''): string {
  return [
    'version: 1',
    'settings:',
    `  senders: {${senders}}`,
    'rules:',
    '  - id: follow-up',
    '    trigger: { schedule: { every: 1h, lookback: 7d } }',
    '    history: { withinDays: 10, minConversations: 1, lastWrapupCodeIn: [Resolved] }',
    `    channels: [${channels.join(', ')}]`,
    '    message:',
    '      text: "Hi {{contact.firstName | \'there\'}}"',
    '      whatsappTemplate: { responseId: follow_up_v1, bodyParameters: [] }',
    '',
  ].join('\n');
}
