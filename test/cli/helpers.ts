/**
 * The `switchboard` command as tests run it: a child process on the TypeScript sources, its output collected, and
 * always ended — a process a test forgot, or one that hangs, is SIGKILLed by a safety timer.
 *
 *   const cli = startCli(['listen', '--queues', 'all'], { env: emulatorLoginEnv(emulator.url) });
 *   await waitFor(() => jsonLineIds(cli.stdout()).length >= 10, 'ten events');
 *   assert.equal(await cli.stop(), 0, cli.stderr());
 *
 *   const run = await runCli(['replay', file]);
 *   assert.equal(run.code, 0, run.stderr);
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from '../helpers/wait-for.js';

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

export interface CliOptions {
  /** Variables set on top of this process's environment. */
  env?: Record<string, string>;
  /** Leaves out this process's `GENESYS_CLOUD_*` variables, for a run that must not see any platform login. */
  withoutPlatformEnv?: boolean;
  /** `ignore` for a process whose stdout the test does not read (it writes to a sink). Default `pipe`. */
  stdout?: 'pipe' | 'ignore';
  /** When the safety timer SIGKILLs a process still running (default 120 s). */
  killAfterMs?: number;
  /** Module source run with `-e` instead of the command's entry point, for a command registered alone. */
  script?: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code; null after a signal. */
  exited: Promise<number | null>;
  /** Sends the signal unless the process has already exited, and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the command the way a user does, so that a test sees its real exit codes, output and signal handling. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const base = options.withoutPlatformEnv
    ? Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GENESYS_CLOUD_')))
    : process.env;
  const entry = options.script === undefined ? [bin] : ['--input-type=module', '-e', options.script];
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry, ...args], {
    env: { ...base, ...options.env },
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    // `close`, not `exit`: by then all the output has been read.
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve(code);
    });
  });
  const stop = (signal: NodeJS.Signals = 'SIGINT') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { child, stdout: () => stdout, stderr: () => stderr, exited, stop };
}

/** For a test that looks only at the outcome of a run; `stopAfterMs` stands for an operator's Ctrl+C. */
export async function runCli(
  args: readonly string[],
  options: CliOptions & { stopAfterMs?: number } = {},
): Promise<CliRun> {
  const cli = startCli(args, options);
  const stopper =
    options.stopAfterMs === undefined ? undefined : setTimeout(() => void cli.stop(), options.stopAfterMs);
  try {
    const code = await cli.exited;
    return { code, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    clearTimeout(stopper);
  }
}

/**
 * A long-running command says on one stream when it is up; a process that exits before saying it fails the wait
 * at once, with what it printed, instead of at the timeout.
 */
export async function waitForOutput(
  cli: CliProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
  what: string,
  timeoutMs = 60_000,
): Promise<RegExpExecArray> {
  const text = () => (stream === 'stdout' ? cli.stdout() : cli.stderr());
  const running = () => cli.child.exitCode === null && cli.child.signalCode === null;
  const match = await waitFor(() => pattern.exec(text()) ?? !running(), what, { timeoutMs, intervalMs: 50 });
  if (typeof match === 'boolean')
    throw new Error(`exited early (${cli.child.exitCode}) waiting for ${what}:\n${text()}`);
  return match;
}

/** Commands print events, and file sinks write them, as JSON lines, which tests read back. */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** Most assertions about printed events compare their ids with the emulator's ground truth. */
export function jsonLineIds(text: string): string[] {
  return jsonLines<{ id: string }>(text).map((event) => event.id);
}

/** A command logs in from its environment as a user's would: here as the emulator's demo client. */
export function emulatorLoginEnv(url: string): Record<string, string> {
  return {
    GENESYS_CLOUD_REGION: url,
    GENESYS_CLOUD_CLIENT_ID: 'switchboard-demo',
    GENESYS_CLOUD_CLIENT_SECRET: 'switchboard-demo-secret',
  };
}

/**
 * The emulator's SQS accepts any signed request: the AWS SDK needs credentials and a region to sign with, and no
 * instance metadata lookup, which would stall on a machine outside AWS.
 */
export function emulatorAwsEnv(): Record<string, string> {
  return {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
    AWS_SECRET_ACCESS_KEY: 'emulator-secret',
    AWS_REGION: 'us-east-1',
  };
}
