/** The command-line processes are crash-only: an error nothing caught is logged and the process exits 70. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

function runWith(body: string) {
  const script = `import { installCrashHandlers } from './src/cli/crash.ts'; installCrashHandlers(); ${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('crash handlers', () => {
  it('exit 70 on an unhandled rejection, saying so', () => {
    const result = runWith(`Promise.reject(new Error('lost promise')); setTimeout(() => {}, 5000);`);
    assert.equal(result.status, 70);
    assert.match(result.stderr, /unhandled promise rejection: Error: lost promise/);
    assert.match(result.stderr, /supervisor restarts the process/);
  });

  it('exit 70 on an uncaught exception', () => {
    const result = runWith(
      `setTimeout(() => { throw new Error('thrown in a timer'); }, 10); setTimeout(() => {}, 5000);`,
    );
    assert.equal(result.status, 70);
    assert.match(result.stderr, /uncaught exception: Error: thrown in a timer/);
  });

  it('the switchboard command installs them', async () => {
    const { readFileSync } = await import('node:fs');
    assert.match(
      readFileSync(new URL('../../src/cli/bin.ts', import.meta.url), 'utf8'),
      /installCrashHandlers\(\)/,
    );
  });
});
