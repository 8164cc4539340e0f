/**
 * What the replica-set benchmark runs on, all on loopback: a nats-server of its own (temporary store
 * directory, free port), a PostgreSQL schema of its own (dropped afterwards), and `switchboard run` processes
 * spawned from the sources, each with its own config file and dashboard port. Every process started here is
 * killed by `stopAll`/`dispose`, so a failing benchmark leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root: replicas run `src/cli/bin.ts` from there. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const PG_URL = process.env.SWITCHBOARD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it holds; the time it took, or undefined after `timeoutMs`. */
export async function within(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 200,
): Promise<number | undefined> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return undefined;
    await sleep(everyMs);
  }
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

/** The nats-server binary (SWITCHBOARD_NATS_SERVER, else the first on PATH or in /usr/sbin), or undefined. */
export function findNatsServer(): string | undefined {
  const named = process.env.SWITCHBOARD_NATS_SERVER;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  const candidates = named ? [named] : dirs.filter(Boolean).map((dir) => join(dir, 'nats-server'));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The server without its password, for messages. */
export function describePgUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return `${parsed.protocol}//${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the configured PostgreSQL URL';
  }
}

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresProblem(url = PG_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${describePgUrl(url)} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A schema name no other run uses, its store URL, and its removal. */
export function benchSchema(prefix: string, url = PG_URL) {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const storeUrl = new URL(url);
  storeUrl.searchParams.set('schema', schema);
  return {
    schema,
    url: storeUrl.toString(),
    async drop(): Promise<void> {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } catch {
        // Unreachable now: nothing more can be done from here.
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

/** A nats-server with JetStream of the benchmark's own. */
export interface OwnNats {
  url: string;
  /** Kills it and removes its store directory. */
  dispose(): Promise<void>;
}

export async function startOwnNats(binary: string): Promise<OwnNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-nats-'));
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const dispose = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(storeDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await dispose();
      throw new Error(`nats-server did not listen on 127.0.0.1:${port}`);
    }
    await sleep(25);
  }
  return { url: `nats://127.0.0.1:${port}`, dispose };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The parts of a replica's `GET /api/health` the benchmark reads. */
export interface ReplicaHealth {
  stream?: {
    pipeline: { eventsTotal: number; notifications: number };
    sinks: Array<{ depth: number; inFlight: number; delivered: number }>;
    gaps: { backfilling: boolean };
    lookups: { queued: number };
    cluster?: {
      replicaId: string;
      members: string[];
      owned: number;
      shards: Array<{ shard: string; owner?: string; placedOn?: string; epoch?: number; state?: string }>;
      incoming?: { shard: string };
    };
  };
}

export interface ReplicaProcess {
  id: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** The last `chars` of its output (for a failure message). */
  output(chars?: number): string;
  health(): Promise<ReplicaHealth | undefined>;
}

export interface ReplicaSetOptions {
  /** The emulator's base URL (the replicas' `genesys.region`). */
  region: string;
  natsUrl: string;
  storeUrl: string;
  shards: number;
  spareChannels: number;
  /** Unset: the default (15 s). */
  leaseTtlMs?: number;
  heartbeatMs: number;
  stream: string;
  bucket: string;
  requestsPerMinute: number;
  /** The replicas' log level (default warn). */
  logLevel?: 'warn' | 'info' | 'debug';
}

/** `switchboard run` replicas sharing one config but for their id and port. */
export class ReplicaSet {
  private readonly dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-replicas-'));
  readonly replicas = new Map<string, ReplicaProcess>();

  constructor(private readonly options: ReplicaSetOptions) {}

  /** Spawns replica `id` (a replica of that id still running is killed first). */
  async start(id: string): Promise<ReplicaProcess> {
    await this.kill(id);
    const o = this.options;
    const port = await freePort();
    const file = join(this.dir, `${id}.yaml`);
    writeFileSync(
      file,
      `genesys:
  region: ${o.region}
  clientId: switchboard-demo
  clientSecret: env:BENCH_CLIENT_SECRET
  requestsPerMinute: ${o.requestsPerMinute}
stream:
  queues: all
  users: all
  timing: { heartbeatInterval: ${o.heartbeatMs} }
store: ${o.storeUrl}
bus:
  url: ${o.natsUrl}
  stream: ${o.stream}
  subjectPrefix: ${o.stream.toLowerCase()}
cluster:
  replicaId: ${id}
  shards: ${o.shards}
  spareChannels: ${o.spareChannels}
${o.leaseTtlMs === undefined ? '' : `  leaseTtl: ${o.leaseTtlMs}ms\n`}  bucket: ${o.bucket}
server: { port: ${port} }
shutdown: { timeout: 5s }
logging: { level: ${o.logLevel ?? 'warn'} }
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'run', '--config', file], {
      cwd: ROOT,
      env: { ...process.env, BENCH_CLIENT_SECRET: 'switchboard-demo-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const replica: ReplicaProcess = {
      id,
      child,
      exited,
      output: (chars = 4000) => output.slice(-chars),
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

  /** Whether the replica's process is running. */
  alive(id: string): boolean {
    const child = this.replicas.get(id)?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGKILL, as a crash: nothing is handed over. Resolves once the process is gone. */
  async kill(id: string): Promise<void> {
    const replica = this.replicas.get(id);
    if (!replica || !this.alive(id)) return;
    replica.child.kill('SIGKILL');
    await replica.exited;
  }

  /** SIGTERM (an orderly stop: shards handed back), SIGKILL after `graceMs`. */
  async stop(id: string, graceMs = 10_000): Promise<void> {
    const replica = this.replicas.get(id);
    if (!replica || !this.alive(id)) return;
    replica.child.kill('SIGTERM');
    const timer = setTimeout(() => replica.child.kill('SIGKILL'), graceMs);
    await replica.exited;
    clearTimeout(timer);
  }

  /** The live replicas' healths, by id (a replica that does not answer is left out). */
  async healths(ids: string[]): Promise<Map<string, ReplicaHealth>> {
    const answers = await Promise.all(ids.map(async (id) => [id, await this.replicas.get(id)?.health()]));
    const healths = new Map<string, ReplicaHealth>();
    for (const [id, health] of answers) if (health) healths.set(id as string, health as ReplicaHealth);
    return healths;
  }

  /** Owners of each shard as the replicas report it: a shard active on two replicas is listed twice. */
  async owners(ids: string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    for (const [id, health] of await this.healths(ids)) {
      for (const shard of health.stream?.cluster?.shards ?? []) {
        if (shard.owner === id && shard.state === 'active')
          owners.set(shard.shard, [...(owners.get(shard.shard) ?? []), id]);
      }
    }
    return owners;
  }

  /** Every shard active on exactly one of `ids`. */
  async ownedOnce(ids: string[]): Promise<boolean> {
    const owners = await this.owners(ids);
    return owners.size === this.options.shards && [...owners.values()].every((list) => list.length === 1);
  }

  /**
   * At rest: every replica sees all of `ids` as members (a replica that has just started answers before it
   * joins), every shard is active once, on the replica the placement puts it on, no move is under way,
   * nothing waits in a sink and no backfill runs.
   */
  async atRest(ids: string[]): Promise<boolean> {
    const healths = await this.healths(ids);
    if (healths.size !== ids.length || !(await this.ownedOnce(ids))) return false;
    for (const [id, health] of healths) {
      const stream = health.stream;
      if (!stream?.cluster || stream.cluster.incoming || stream.gaps.backfilling) return false;
      // Wrap-up codes still being looked for in analytics.
      if (stream.lookups.queued > 0) return false;
      if (ids.some((member) => !stream.cluster?.members.includes(member))) return false;
      if (stream.sinks.some((sink) => sink.depth + sink.inFlight > 0)) return false;
      for (const shard of stream.cluster.shards)
        if (shard.owner === id && shard.placedOn !== undefined && shard.placedOn !== id) return false;
    }
    return true;
  }

  /** Events the replicas' sinks have had acknowledged by JetStream (stored or recognised as duplicates). */
  async delivered(ids: string[]): Promise<number> {
    let total = 0;
    for (const health of (await this.healths(ids)).values())
      for (const sink of health.stream?.sinks ?? []) total += sink.delivered;
    return total;
  }

  /** Stops every replica in order (SIGKILL after a grace), then removes the config files. */
  async dispose(): Promise<void> {
    await Promise.all([...this.replicas.keys()].map((id) => this.stop(id, 8000)));
    for (const replica of this.replicas.values()) replica.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
