/**
 * `npm run bench`: every benchmark in one run, with ratios against baselines measured in the same run and
 * medians over rounds. Prints a table and writes `bench/results/latest.json`.
 *
 * Usage: npm run bench [-- --frames 20000 --quick --skip-replicas]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { recordFrames } from './frames.js';
import { benchProactive } from './proactive.js';
import { benchReplicas, describeReplicas, type ReplicasBenchResult } from './replicas.js';
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

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const frameCount = argument('frames', quick ? 5000 : 20_000);
  process.stderr.write(`recording ${frameCount} frames from the emulator's traffic simulator...\n`);
  const frames = recordFrames(frameCount);

  process.stderr.write('throughput: pipeline vs JSON.parse...\n');
  const throughput = benchThroughput(frames, quick ? 3 : 7);
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
    latency,
    memory,
    proactive,
    replicas,
    targets,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

  console.log(
    `frames: ${frames.length}, average ${throughput.averageFrameBytes} bytes, node ${process.version}`,
  );
  console.log(
    `JSON.parse baseline: ${throughput.jsonParseFramesPerSecond} frames/s; pipeline: ${throughput.pipelineFramesPerSecond} frames/s (median of ${throughput.rounds} rounds)`,
  );
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
  for (const t of targets)
    console.log(`${t.met ? 'met ' : 'MISS'}  ${t.name}: ${t.value} (target ${t.target})`);
  console.log('written: bench/results/latest.json');
}

await main();
