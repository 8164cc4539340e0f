#!/usr/bin/env node
// Runs test files again and again beside processes that keep every CPU busy, to shake out tests that only pass on
// an idle machine. Stops at the first failing round and prints its output. Not a CI step: run it by hand when a
// test is suspected of flakiness, e.g.
//
//   npm run test:repeat -- --runs 5 --burners 2 test/stream/websocket-source.test.ts
//
// Directories are searched for *.test.ts; *.alone.test.ts and *.long.test.ts files (minutes of load by design) are only
// run when named.
// Options: --runs N (default 10), --burners K (default: one per CPU), --run-timeout-min M (one round, default 10),
// --max-min M (everything, default 60), --concurrency C (test files at once within a round, default 1).
// Exits 0 when every round passed, 1 on a failed or overrun round (or when time ran out), 2 on bad arguments.
// Burners and the running round are killed on every way out it can catch; burners also stop by themselves once this
// script is gone, and a round left behind by a `kill -9` ends at its own --test-timeout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const DEFAULT_PATHS = ['test/stream', 'test/pipeline', 'test/cluster'];

function parseArgs(argv) {
  const options = {
    runs: 10,
    burners: availableParallelism(),
    runTimeoutMin: 10,
    maxMin: 60,
    concurrency: 1,
    paths: [],
  };
  const numeric = {
    '--runs': 'runs',
    '--burners': 'burners',
    '--run-timeout-min': 'runTimeoutMin',
    '--max-min': 'maxMin',
    '--concurrency': 'concurrency',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: node scripts/repeat-tests.mjs [--runs N] [--burners K] [--run-timeout-min M] [--max-min M] ' +
          '[--concurrency C] [test files or directories…]',
      );
      process.exit(0);
    }
    const [flag, inline] = arg.split('=', 2);
    if (flag in numeric) {
      const text = inline ?? argv[++i];
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0 || (flag !== '--burners' && value <= 0)) {
        fail(`${flag} needs a positive number, got ${text}`);
      }
      options[numeric[flag]] = value;
    } else if (arg.startsWith('--')) {
      fail(`unknown option ${arg} (--help lists them)`);
    } else {
      options.paths.push(arg);
    }
  }
  if (options.paths.length === 0) options.paths = DEFAULT_PATHS;
  return options;
}

function fail(message) {
  console.error(`repeat-tests: ${message}`);
  process.exit(2);
}

/** Test files under the given paths; a file named explicitly is taken as it is. */
function findTests(paths) {
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (
        name.endsWith('.test.ts') &&
        !name.endsWith('.alone.test.ts') &&
        !name.endsWith('.long.test.ts')
      )
        found.push(path);
    }
  };
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      fail(`no such test file or directory: ${path}`);
    }
    if (stat.isDirectory()) walk(path);
    else found.push(path);
  }
  return [...new Set(found.map((f) => relative(process.cwd(), f)))];
}

// ── burners ──────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A child that spins one core. It also ends by itself once its parent is gone or its time is up, so not even a
 * `kill -9` of this script can leave it spinning.
 */
function startBurner(lifetimeMs) {
  const code = `
    const parent = process.ppid;
    const until = Date.now() + ${Math.ceil(lifetimeMs)};
    for (;;) {
      for (let i = 0; i < 5e6; i++);
      if (process.ppid !== parent || Date.now() > until) process.exit(0);
    }`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  child.on('error', (error) => console.error(`repeat-tests: a burner failed to start: ${error.message}`));
  return child;
}

function stopBurners(burners) {
  for (const burner of burners) {
    if (burner.exitCode === null && burner.signalCode === null) burner.kill('SIGKILL');
  }
}

// ── one round ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Runs the files once; resolves with the outcome, the output and how long it took. */
function runRound(files, concurrency, timeoutMs) {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    // Its own process group, so a round that overruns is ended with every test process it started.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${concurrency}`,
        `--test-timeout=${timeoutMs}`,
        ...files,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    current = child;
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({
        passed: !timedOut && code === 0,
        timedOut,
        code: code ?? signal,
        output,
        ms: Date.now() - startedAt,
      });
    });
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** The lines of a failed round worth reading first: the failing tests and their errors. */
function failureSummary(output) {
  const lines = output.split('\n');
  const picked = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*not ok /.test(lines[i])) continue;
    const block = lines.slice(i, i + 25);
    // A suite's own "not ok" only says that a test inside it failed; the test's block says what.
    if (!block.some((line) => line.includes("failureType: 'subtestsFailed'"))) picked.push(...block, '');
  }
  return (picked.length > 0 ? picked : lines.slice(-60)).join('\n');
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ── main ─────────────────────────────────────────────────────────────────────────────────────────────────────────

let current;
const options = parseArgs(process.argv.slice(2));
const files = findTests(options.paths);
if (files.length === 0) fail(`no test files under ${options.paths.join(', ')}`);

const maxMs = options.maxMin * 60_000;
const deadline = Date.now() + maxMs;
const burners = Array.from({ length: Math.floor(options.burners) }, () => startBurner(maxMs + 10_000));
const cleanUp = () => {
  if (current) killGroup(current);
  stopBurners(burners);
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`repeat-tests: ${signal}, stopping`);
    process.exit(130);
  });
}

console.log(
  `repeat-tests: ${files.length} file(s), up to ${options.runs} round(s), ${burners.length} CPU burner(s), ` +
    `at most ${options.maxMin} min`,
);
const logDir = mkdtempSync(join(tmpdir(), 'repeat-tests-'));
const durations = [];
let passed = 0;
let outcome = 'passed';
for (let round = 1; round <= options.runs; round++) {
  const left = deadline - Date.now();
  if (left <= 0) {
    outcome = 'out of time';
    break;
  }
  const result = await runRound(files, options.concurrency, Math.min(options.runTimeoutMin * 60_000, left));
  durations.push(result.ms);
  const log = join(logDir, `round-${round}.log`);
  writeFileSync(log, result.output);
  const verdict = result.passed
    ? 'pass'
    : result.timedOut
      ? 'FAIL (timed out)'
      : `FAIL (exit ${result.code})`;
  console.log(`round ${round}/${options.runs}: ${verdict} in ${seconds(result.ms)}`);
  if (result.passed) passed++;
  else {
    outcome = result.timedOut && Date.now() >= deadline ? 'out of time' : 'failed';
    console.log(`\n${failureSummary(result.output)}\nfull output: ${log}`);
    break;
  }
}
cleanUp();

const total = durations.reduce((sum, ms) => sum + ms, 0);
console.log(
  `\nrepeat-tests: ${outcome}: ${passed} of ${durations.length} round(s) passed` +
    (durations.length > 0
      ? ` (mean ${seconds(total / durations.length)}, slowest ${seconds(Math.max(...durations))})`
      : '') +
    `; logs in ${logDir}`,
);
process.exit(outcome === 'passed' ? 0 : 1);
