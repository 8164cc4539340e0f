/**
 * `switchboard replicas --bus nats://… [--bucket name] [--json]`: the replica set as NATS holds it — live members,
 * each shard's owner and epoch, the move under way, the spare channel permits in use. Reads only.
 */
import type { Command } from 'commander';
import { connectBus } from '../../bus/connection.js';
import { NatsCoordinationKv } from '../../cluster/coordination-kv.js';
import { formatReplicaSet, readReplicaSet } from '../../cluster/replica-set-view.js';
import { ConfigError } from '../../errors.js';

export interface ReplicasCliOptions {
  bus: string;
  bucket: string;
  json?: boolean;
}

/** Prints the replica set; returns the number of live members. */
export async function runReplicasCommand(
  cli: ReplicasCliOptions,
  stdout: NodeJS.WritableStream,
): Promise<number> {
  const bus = await connectBus({ url: cli.bus, name: 'switchboard-replicas', reconnect: false });
  try {
    const leases = await NatsCoordinationKv.existing(bus.connection, `${cli.bucket}-leases`);
    if (!leases) {
      throw new ConfigError(`No replica set "${cli.bucket}" on ${bus.description}.`, {
        hint: 'Check --bucket (cluster.bucket in the replicas’ config) and --bus; a set appears once a replica has started.',
      });
    }
    const channels = await NatsCoordinationKv.existing(bus.connection, `${cli.bucket}-channels`);
    const view = await readReplicaSet(leases, channels);
    if (cli.json) stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else {
      stdout.write(`replica set "${cli.bucket}" on ${bus.description}\n`);
      for (const line of formatReplicaSet(view)) stdout.write(`${line}\n`);
    }
    return view.members.length;
  } finally {
    await bus.close();
  }
}

/** Registers `switchboard replicas`. */
export function registerReplicasCommand(program: Command, io?: { stdout?: NodeJS.WritableStream }): void {
  program
    .command('replicas')
    .description('Show a replica set: live members, shard owners and epochs, moves, spare channels')
    .requiredOption('--bus <url>', 'the NATS the replicas coordinate through, e.g. nats://127.0.0.1:4222')
    .option('--bucket <name>', 'the replicas’ cluster.bucket', 'switchboard')
    .option('--json', 'print JSON')
    .action(async (cli: ReplicasCliOptions) => {
      await runReplicasCommand(cli, io?.stdout ?? process.stdout);
    });
}
