#!/usr/bin/env node
// Runs every test file under test/ (or those named on the command line) with Node's own test runner.
// Node 20's runner does not expand globs or pick up .ts files by itself, hence this small launcher.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const requested = process.argv.slice(2);
const files = (requested.length > 0 ? requested : findTests('test'))
  .map((f) => relative(process.cwd(), f))
  .sort();
if (files.length === 0) {
  console.error('No test files found under test/.');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

// A `*.alone.test.ts` file loads the machine for minutes (a replica set of processes, a large contact centre's
// traffic); it runs after the others, by itself, so neither it nor the timing-sensitive stream tests share the
// machine's two cores with the other. A `*.long.test.ts` file takes minutes mostly waiting (a process killed and
// restarted, a server away for a while): two of them run side by side, after the first group.
const alone = files.filter((f) => f.endsWith('.alone.test.ts'));
const long = files.filter((f) => f.endsWith('.long.test.ts'));
const together = files.filter((f) => !f.endsWith('.alone.test.ts') && !f.endsWith('.long.test.ts'));

function run(group, groupConcurrency, timeoutMs) {
  return new Promise((resolve) => {
    if (group.length === 0) return resolve(0);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${groupConcurrency}`,
        `--test-timeout=${timeoutMs}`,
        ...group,
      ],
      { stdio: 'inherit' },
    );
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

// A file of the first group that takes two minutes is stuck; the long runs (a replica set through faults, seven faults
// at the platform's rate limit) take several minutes by design.
const first = await run(together, concurrency, 120_000);
const second = await run(long, '2', 600_000);
const third = await run(alone, '1', 600_000);
process.exit([first, second, third].find((code) => code !== 0) ?? 0);
