/**
 * `npm run bench`: every benchmark in one run, with ratios against baselines measured in the same run and
 * medians over rounds. Prints a table and writes `bench/results/latest.json`.
 *
 * Usage: npm run bench [-- --frames 20000 --quick --skip-replicas --skip-scale | --only-scale | --only-eventbridge]
 *
 * The `scale` section (the stream against a large contact centre at 300 requests a minute) runs for about a quarter
 * of an hour; `--skip-scale` leaves it out, `--only-scale` runs it alone (and keeps the other sections' last
 * results in `latest.json`). `--only-eventbridge` runs the `eventbridge` section (SQS message bodies → events) alone,
 * keeping the others' likewise.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchEventBridge, describeEventBridge, recordEventBridgeMessages } from './eventbridge.js';
import { recordFrames } from './frames.js';
import { benchProactive } from './proactive.js';
import { benchReplicas, describeReplicas, type ReplicasBenchResult } from './replicas.js';
import { benchScale, describeScale, type ScaleResult } from './scale.js';
import { benchLatency, benchMemory, benchThroughput } from './stream.js';

interface Target {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const LATEST = new URL('./results/latest.json', import.meta.url);

/** Runs the `scale` section alone, keeping the other sections' last results. */
async function scaleOnly(quick: boolean): Promise<void> {
  const scale = await benchScale({ quick });
  const previous = existsSync(LATEST)
    ? (JSON.parse(readFileSync(LATEST, 'utf8')) as Record<string, unknown>)
    : {};
  const results = {
    ...previous,
    scaleAt: new Date().toISOString(),
    scale,
    scaleTargets: scaleTargets(scale),
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);
  for (const line of describeScale(scale)) console.log(line);
  for (const t of scaleTargets(scale))
    console.log(`${t.met ? 'met ' : 'MISS'}  ${t.name}: ${t.value} (target ${t.target})`);
  console.log('written: bench/results/latest.json');
}

/** Runs the `eventbridge` section alone, keeping the other sections' last results. */
function eventBridgeOnly(quick: boolean): void {
  process.stderr.write('eventbridge: SQS messages → events vs JSON.parse...\n');
  const eventbridge = benchEventBridge(recordEventBridgeMessages(), quick ? 3 : 7);
  const previous = existsSync(LATEST)
    ? (JSON.parse(readFileSync(LATEST, 'utf8')) as Record<string, unknown>)
    : {};
  const results = {
    ...previous,
    eventbridgeAt: new Date().toISOString(),
    eventbridgeMachine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
    eventbridge,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);
  console.log(describeEventBridge(eventbridge));
  console.log('written: bench/results/latest.json');
}

/** The targets for the `scale` section. */
function scaleTargets(scale: ScaleResult): Target[] {
  const s = scale.steady;
  const r = scale.recovery;
  const small = scale.growth[0];
  const growthRatio = small && small.requests > 0 ? Math.round((r.requests / small.requests) * 100) / 100 : 0;
  return [
    { name: 'steady: facts missing', value: s.missing, target: '0', met: s.missing === 0 },
    { name: 'steady: duplicate ids', value: s.duplicates, target: '0', met: s.duplicates === 0 },
    {
      name: 'steady: p99 to emit, non-wrap-up (ms)',
      value: s.p99NonWrapupMs,
      target: '<= 2000',
      met: s.p99NonWrapupMs <= 2000,
    },
    {
      name: 'steady: p99 to emit, wrap-up (ms)',
      value: s.p99WrapupMs,
      target: '<= 30000',
      met: s.p99WrapupMs <= 30_000,
    },
    {
      name: 'steady: REST requests per conversation',
      value: s.requestsPerConversation,
      target: '<= 0.1',
      met: s.requestsPerConversation <= 0.1,
    },
    {
      name: 'recovery: channel waits for a slot, p99 (ms)',
      value: r.channelWaitP99Ms,
      target: '<= 1000',
      met: r.channelWaitP99Ms <= 1000,
    },
    {
      name: 'recovery: gap complete after reconnecting (ms)',
      value: r.gapCompleteAfterReconnectMs ?? -1,
      target: '<= 90000',
      met: r.gapCompleteAfterReconnectMs !== undefined && r.gapCompleteAfterReconnectMs <= 90_000,
    },
    {
      name: `growth: recovery requests at ${r.liveConversations} live / at ${small?.liveConversations ?? '?'} live`,
      value: growthRatio,
      target: '<= 3',
      met: growthRatio > 0 && growthRatio <= 3,
    },
    {
      name: '429s after the first (steady and recovery)',
      value: Math.max(0, s.rateLimited + r.rateLimited - 1),
      target: '0',
      met: s.rateLimited + r.rateLimited <= 1,
    },
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  if (process.argv.includes('--only-scale')) return scaleOnly(quick);
  if (process.argv.includes('--only-eventbridge')) return eventBridgeOnly(quick);
  const frameCount = argument('frames', quick ? 5000 : 20_000);
  process.stderr.write(`recording ${frameCount} frames from the emulator's traffic simulator...\n`);
  const frames = recordFrames(frameCount);

  process.stderr.write('throughput: pipeline vs JSON.parse...\n');
  const throughput = benchThroughput(frames, quick ? 3 : 7);
  process.stderr.write('eventbridge: SQS messages → events vs JSON.parse...\n');
  const eventbridge = benchEventBridge(recordEventBridgeMessages(), quick ? 3 : 7);
  process.stderr.write('latency at 5,000 snapshots/s...\n');
  const latency = await benchLatency(frames, 5000, quick ? 1 : 4);
  process.stderr.write('memory per live conversation...\n');
  const memory = benchMemory(frames, quick ? 5000 : 20_000);
  process.stderr.write(
    'proactive sends against the rate budget, with a stream-like load on the same token...\n',
  );
  const proactive = await benchProactive(quick ? { contacts: 200 } : {});
  let replicas: ReplicasBenchResult;
  if (process.argv.includes('--skip-replicas')) {
    replicas = { skipped: '--skip-replicas' };
  } else {
    process.stderr.write('replica set: events/s through JetStream with 1 and 3 replicas, kill recovery...\n');
    replicas = await benchReplicas({ quick }).catch((error: unknown) => {
      process.stderr.write(`replica set benchmark failed: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return { failed: (error as Error).message.split('\n')[0]! };
    });
  }

  let scale: ScaleResult | undefined;
  if (!process.argv.includes('--skip-scale')) {
    process.stderr.write(
      'scale: the stream against a large contact centre at 300 requests a minute (about 15 min)...\n',
    );
    scale = await benchScale({ quick });
  }

  const targets: Target[] = [
    {
      name: 'pipeline / JSON.parse',
      value: throughput.ratioToJsonParse,
      target: '>= 0.5',
      met: throughput.ratioToJsonParse >= 0.5,
    },
    {
      name: 'snapshots per second (one core)',
      value: throughput.pipelineFramesPerSecond,
      target: '>= 50000',
      met: throughput.pipelineFramesPerSecond >= 50_000,
    },
    {
      name: 'p99 added latency at 5,000/s (ms)',
      value: latency.p99Ms,
      target: '<= 2',
      met: latency.p99Ms <= 2,
    },
    {
      name: 'retained bytes per live conversation',
      value: memory.bytesPerLiveConversation,
      target: '<= 2048',
      met: memory.bytesPerLiveConversation <= 2048,
    },
    {
      name: 'budget share left to the stream used for sends',
      value: proactive.budgetShareForSends,
      target: '>= 0.95',
      met: proactive.budgetShareForSends >= 0.95,
    },
    {
      name: '429s after the first',
      value: proactive.http429AfterFirst,
      target: '0',
      met: proactive.http429AfterFirst === 0,
    },
  ];

  const results = {
    at: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model },
    frames: { count: frames.length, averageBytes: throughput.averageFrameBytes },
    throughput,
    eventbridge,
    latency,
    memory,
    proactive,
    replicas,
    ...(scale ? { scale, scaleTargets: scaleTargets(scale) } : {}),
    targets,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);

  console.log(
    `frames: ${frames.length}, average ${throughput.averageFrameBytes} bytes, node ${process.version}`,
  );
  console.log(
    `JSON.parse baseline: ${throughput.jsonParseFramesPerSecond} frames/s; pipeline: ${throughput.pipelineFramesPerSecond} frames/s (median of ${throughput.rounds} rounds)`,
  );
  console.log(describeEventBridge(eventbridge));
  console.log(
    `latency at ${latency.targetPerSecond}/s over ${latency.frames} frames: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms`,
  );
  console.log(
    `memory: ${memory.liveConversations} live conversations (${memory.snapshotsIngested} snapshots) retain ${memory.retainedBytes} bytes`,
  );
  console.log(
    `proactive: ${proactive.sendsPerMinute} sends per rate-limit window of ${proactive.limit} requests (${proactive.requestsPerSend} requests per send), stream-like load ${proactive.streamRequestsPerWindow}/window, baseline ${proactive.baselineRequestsPerWindow}/window`,
  );
  for (const line of describeReplicas(replicas, cpus().length)) console.log(line);
  if (scale) for (const line of describeScale(scale)) console.log(line);
  for (const t of [...targets, ...(scale ? scaleTargets(scale) : [])])
    console.log(`${t.met ? 'met ' : 'MISS'}  ${t.name}: ${t.value} (target ${t.target})`);
  console.log('written: bench/results/latest.json');
}

await main();
