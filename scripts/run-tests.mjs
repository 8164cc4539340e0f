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
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
