/**
 * A replica set on loopback: one emulator, one nats-server of the test's own, a PostgreSQL schema of its own, and
 * `switchboard run` processes spawned from the sources, each with its own config file and dashboard port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { freePort } from '../bus/helpers.js';

export interface ReplicaProcess {
  id: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  health(): Promise<ReplicaHealth | undefined>;
}

export interface ReplicaHealth {
  readiness: { ready: boolean; reason: string };
  stream?: {
    pipeline: { eventsTotal: number };
    sinks: Array<{ depth: number; inFlight: number; status?: string; full?: boolean; fullCount?: number }>;
    gaps: { backfilling: boolean };
    lookups: { queued: number };
    pool?: { channels: Array<{ slot: number; state: string; channelId?: string }> };
    cluster?: {
      replicaId: string;
      members: string[];
      owned: number;
      shards: Array<{ shard: string; owner?: string; epoch?: number; state?: string }>;
      incoming?: { shard: string };
      counters: { takeovers: number; handoversIn: number; handoversOut: number; standDowns: number };
    };
  };
}

export interface ReplicaSetOptions {
  emulator: Emulator;
  natsUrl: string;
  storeUrl: string;
  shards: number;
  spareChannels: number;
  leaseTtl: string;
  heartbeatMs: number;
  stream: string;
  bucket: string;
  rulesFile?: string;
  requestsPerMinute?: number;
  /** Events the bus sink holds in memory before the shards stop reading (`bus.outboxCapacity`). */
  outboxCapacity?: number;
}

export class ReplicaSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'switchboard-replicas-'));
  readonly replicas = new Map<string, ReplicaProcess>();

  constructor(private readonly options: ReplicaSetOptions) {}

  async start(id: string): Promise<ReplicaProcess> {
    const { options } = this;
    const port = await freePort();
    const file = join(this.dir, `${id}.yaml`);
    writeFileSync(
      file,
      `genesys:
  region: ${options.emulator.url}
  clientId: switchboard-demo
  clientSecret: env:TEST_CLIENT_SECRET
${options.requestsPerMinute ? `  requestsPerMinute: ${options.requestsPerMinute}\n` : ''}stream:
  queues: all
  users: all
  timing: { heartbeatInterval: ${options.heartbeatMs} }
store: ${options.storeUrl}
bus:
  url: ${options.natsUrl}
  stream: ${options.stream}
  subjectPrefix: ${options.stream.toLowerCase()}
  durable: ${options.stream.toLowerCase()}-proactive
${options.outboxCapacity ? `  outboxCapacity: ${options.outboxCapacity}\n` : ''}cluster:
  replicaId: ${id}
  shards: ${options.shards}
  spareChannels: ${options.spareChannels}
  leaseTtl: ${options.leaseTtl}
  bucket: ${options.bucket}
${options.rulesFile ? `proactive:\n  rules: ${options.rulesFile}\n  dueCheckInterval: 1s\n` : ''}server: { port: ${port} }
shutdown: { timeout: 10s }
logging: { level: info }
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'run', '--config', file], {
      cwd: process.cwd(),
      env: { ...process.env, TEST_CLIENT_SECRET: 'switchboard-demo-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const replica: ReplicaProcess = {
      id,
      port,
      child,
      output: () => output,
      exited,
      async health() {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/api/health`, {
            signal: AbortSignal.timeout(2000),
          });
          return response.ok ? ((await response.json()) as ReplicaHealth) : undefined;
        } catch {
          return undefined;
        }
      },
    };
    this.replicas.set(id, replica);
    return replica;
  }

  /** Owner of each shard as the live replicas report it (a shard claimed by two is listed twice). */
  async owners(ids: string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    for (const id of ids) {
      const health = await this.replicas.get(id)?.health();
      for (const shard of health?.stream?.cluster?.shards ?? []) {
        if (shard.owner === id && shard.state === 'active')
          owners.set(shard.shard, [...(owners.get(shard.shard) ?? []), id]);
      }
    }
    return owners;
  }

  /**
   * Whether the set is at rest: every shard active on exactly one replica, no move under way, nothing waiting in
   * a sink, no gap being recovered or wrap-up code looked for, and no event derived since the previous call.
   */
  async atRest(ids: string[], shards: number, previous: { total: number }): Promise<boolean> {
    const owners = await this.owners(ids);
    if (owners.size !== shards || [...owners.values()].some((list) => list.length !== 1)) return false;
    let total = 0;
    let busy = false;
    for (const id of ids) {
      const health = await this.replicas.get(id)?.health();
      if (!health?.stream) return false;
      total += health.stream.pipeline.eventsTotal;
      if (health.stream.cluster?.incoming) busy = true;
      if (health.stream.sinks.some((sink) => sink.depth + sink.inFlight > 0)) busy = true;
      if (health.stream.gaps.backfilling) busy = true;
      // Wrap-up codes still being looked for in analytics.
      if (health.stream.lookups.queued > 0) busy = true;
    }
    const quiet = total === previous.total;
    previous.total = total;
    return quiet && !busy;
  }

  async stopAll(): Promise<void> {
    for (const replica of this.replicas.values()) {
      if (replica.child.exitCode === null && replica.child.signalCode === null) {
        replica.child.kill('SIGCONT');
        replica.child.kill('SIGTERM');
      }
    }
    await Promise.all(
      [...this.replicas.values()].map((replica) =>
        Promise.race([replica.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]),
      ),
    );
    for (const replica of this.replicas.values()) replica.child.kill('SIGKILL');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
