/** Shared pieces of the service tests: a fast emulator, a config pointing at it, and small HTTP readers. */

import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CLIENT,
  type Emulator,
  type StartEmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { resolveRegion } from '../../src/platform/region.js';
import type { ServiceConfig } from '../../src/service/config.js';
import type { Reporter } from '../../src/service/reporter.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Heartbeats every 400 ms: the watchdog notices silence within about a second. */
export const HEARTBEAT_MS = 400;

/** An emulator with lively, compressed traffic and no history (fast to start). */
export function fastEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({
    port: 0,
    seed: 7,
    timeScale: 30,
    conversationsPerMinute: 40,
    historyDays: 0,
    heartbeatIntervalMs: HEARTBEAT_MS,
    ...options,
  });
}

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-service-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A service config against the emulator, with short timings. */
export function configFor(
  emulator: Emulator,
  dir: string,
  overrides: Partial<ServiceConfig> = {},
): ServiceConfig {
  return {
    file: '(test)',
    genesys: {
      region: resolveRegion(emulator.url),
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
    },
    stream: {
      selection: { queues: 'all', users: 'all' },
      backfill: true,
      timing: {
        heartbeatIntervalMs: HEARTBEAT_MS,
        backoff: { initialDelayMs: 100, maxDelayMs: 1000 },
        connectTimeoutMs: 2000,
      },
    },
    store: { path: join(dir, 'switchboard.db') },
    sinks: [],
    server: { host: '127.0.0.1', port: 0, showCustomerData: false, recentEvents: 500 },
    shutdownTimeoutMs: 10_000,
    ...overrides,
  };
}

/** A reporter that keeps lines and lets a test wait for one. */
export function capturingReporter(): Reporter & {
  lines: string[];
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
} {
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }> = [];
  const add = (text: string) => {
    lines.push(text);
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(text);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  return {
    lines,
    line: add,
    progress: add,
    waitForLine(pattern, timeoutMs) {
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matched ${pattern} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (match) => {
            clearTimeout(timer);
            resolve(match);
          },
        });
      });
    },
  };
}

/** Prometheus text → value of one series (`name` or `name{label="x"}`), summed over matching label sets. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let found: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) found = (found ?? 0) + Number(match[3]);
  }
  return found;
}

/** Reads server-sent events from `url` until `until` returns true for a message, or the time runs out. */
export function readSse(
  url: string,
  until: (event: string, data: unknown) => boolean,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<Array<{ event: string; data: unknown }>> {
  return new Promise((resolve, reject) => {
    const messages: Array<{ event: string; data: unknown }> = [];
    const request = get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`SSE answered ${response.statusCode}`));
        response.resume();
        return;
      }
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const parsed = JSON.parse(data) as unknown;
          messages.push({ event, data: parsed });
          if (until(event, parsed)) {
            clearTimeout(timer);
            request.destroy();
            resolve(messages);
            return;
          }
        }
      });
    });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`SSE: condition not met in ${timeoutMs} ms (${messages.length} messages)`));
    }, timeoutMs);
  });
}
