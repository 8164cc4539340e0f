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

// A `*.alone.test.ts` file runs a whole replica set of processes; it runs after the others, by itself, so neither
// it nor the timing-sensitive stream tests share the machine's two cores with the other.
const alone = files.filter((f) => f.endsWith('.alone.test.ts'));
const together = files.filter((f) => !f.endsWith('.alone.test.ts'));

function run(group, groupConcurrency) {
  return new Promise((resolve) => {
    if (group.length === 0) return resolve(0);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${groupConcurrency}`,
        '--test-timeout=120000',
        ...group,
      ],
      { stdio: 'inherit' },
    );
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

const first = await run(together, concurrency);
const second = await run(alone, '1');
process.exit(first !== 0 ? first : second);
