/**
 * `switchboard doctor [--config switchboard.yaml | --region … --queues …] [--rules rules.yaml] [--probe-topics]
 * [--json]`: checks the region, the OAuth client and everything the configured features need from the org, and
 * prints a checklist with the fix for each problem. Exit code 1 when something blocks, 0 otherwise.
 */
import type { Command } from 'commander';
import {
  type DoctorInput,
  type DoctorReport,
  formatReport,
  reportJson,
  runDoctor,
} from '../../doctor/index.js';
import { collect } from '../connection-options.js';

export interface DoctorCliOptions {
  config?: string;
  region?: string;
  clientId?: string;
  clientSecret?: string;
  queues?: string;
  users?: string;
  topic?: string[];
  rules?: string;
  rateLimit?: string;
  probeTopics?: boolean;
  json?: boolean;
}

/** Where the command writes and what it reads; tests pass their own. */
export interface DoctorIo {
  stdout: NodeJS.WritableStream;
  env?: Record<string, string | undefined>;
}

/** Runs doctor, prints the report, and returns it (the exit code is the caller's). */
export async function runDoctorCommand(cli: DoctorCliOptions, io: DoctorIo): Promise<DoctorReport> {
  const input: DoctorInput = {
    ...(cli.config ? { config: cli.config } : {}),
    ...(cli.region ? { region: cli.region } : {}),
    ...(cli.clientId ? { clientId: cli.clientId } : {}),
    ...(cli.clientSecret ? { clientSecret: cli.clientSecret } : {}),
    ...(cli.queues ? { queues: cli.queues } : {}),
    ...(cli.users ? { users: cli.users } : {}),
    ...(cli.topic ? { topic: cli.topic } : {}),
    ...(cli.rules ? { rules: cli.rules } : {}),
    ...(cli.rateLimit ? { rateLimit: cli.rateLimit } : {}),
    ...(io.env ? { env: io.env } : {}),
  };
  const report = await runDoctor(input, { probeTopics: cli.probeTopics ?? false });
  io.stdout.write(cli.json ? reportJson(report) : formatReport(report));
  return report;
}

/** Registers `switchboard doctor`. */
export function registerDoctorCommand(program: Command, io?: Partial<DoctorIo>): void {
  program
    .command('doctor')
    .description('Check the region, the OAuth client and the permissions each configured feature needs')
    .option(
      '--config <file>',
      'the service config (switchboard.yaml): region, client, stream, proactive rules',
    )
    .option(
      '--region <region>',
      'region (mypurecloud.ie, eu_west_1) or base URL; default $GENESYS_CLOUD_REGION',
    )
    .option('--client-id <id>', 'OAuth client id; default $GENESYS_CLOUD_CLIENT_ID')
    .option('--client-secret <secret>', 'OAuth client secret; prefer $GENESYS_CLOUD_CLIENT_SECRET')
    .option('--queues <all|ids,names>', 'queues the stream follows (default: all, as the service)')
    .option('--users <all|ids>', 'users the stream follows')
    .option('--topic <topic>', 'a raw topic the stream subscribes (repeatable)', collect)
    .option('--rules <file>', 'proactive rules file (YAML) to check the channels and permissions of')
    .option('--rate-limit <perMinute>', 'requests per minute the client is configured to allow itself')
    .option(
      '--probe-topics',
      'create one notification channel to subscribe the topics for real (it stays 24 hours; only with headroom)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (cli: DoctorCliOptions) => {
      const report = await runDoctorCommand(cli, {
        stdout: io?.stdout ?? process.stdout,
        ...(io?.env ? { env: io.env } : {}),
      });
      if (!report.ok) process.exitCode = 1;
    });
}
