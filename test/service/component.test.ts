/**
 * The service's components: started in order, stopped in reverse (every one told to take no new work before any of
 * them stops); one that fails to start has the ones before it stopped again; readiness is each component's own,
 * composed, and a stream with no channel pool becomes ready like any other.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/logging.js';
import type { ComponentReadiness } from '../../src/server/readiness.js';
import { ComponentRunner, type ServiceComponent } from '../../src/service/component.js';
import type { StopContext } from '../../src/service/shutdown.js';
import { type ServiceStatus, ServiceStatusStream } from '../../src/service/status.js';
import { waitFor } from '../helpers/wait-for.js';

/** A component that writes down what happens to it. */
function component(
  name: string,
  journal: string[],
  options: {
    failStart?: boolean;
    stop?: (context: StopContext) => Promise<void>;
    readiness?: () => ComponentReadiness;
  } = {},
): ServiceComponent {
  return {
    name,
    async start() {
      journal.push(`start ${name}`);
      if (options.failStart) throw new Error(`${name} cannot start`);
    },
    quiesce() {
      journal.push(`quiesce ${name}`);
    },
    async stop(context) {
      journal.push(`stop ${name}`);
      await options.stop?.(context);
    },
    ...(options.readiness ? { readiness: options.readiness } : {}),
  };
}

function runner(components: ServiceComponent[], status = new ServiceStatusStream()): ComponentRunner {
  return new ComponentRunner(components, { status, logger: silentLogger(), rollbackTimeoutMs: 2000 });
}

describe('the service as a list of components', () => {
  it('starts them in order and stops them in reverse, telling every one before any stops', async () => {
    const journal: string[] = [];
    const status = new ServiceStatusStream();
    const seen: ServiceStatus[] = [];
    status.on('component', (event) => seen.push(event));
    const list = runner([component('a', journal), component('b', journal), component('c', journal)], status);
    await list.start();
    assert.deepEqual(journal, ['start a', 'start b', 'start c']);
    journal.length = 0;
    const report = await list.stop('test', 2000);
    assert.deepEqual(journal, ['quiesce c', 'quiesce b', 'quiesce a', 'stop c', 'stop b', 'stop a']);
    assert.equal(report.clean, true);
    assert.deepEqual(
      seen
        .filter((e) => e.type === 'component' && e.component === 'b')
        .map((e) => (e as { state: string }).state),
      ['starting', 'started', 'stopping', 'stopped'],
    );
    assert.equal(await list.stop('again', 2000), report, 'a second stop is the first one');
  });

  it('stops what had started, in reverse, when one fails to start, and rethrows', async () => {
    const journal: string[] = [];
    const list = runner([
      component('a', journal),
      component('b', journal),
      component('c', journal, { failStart: true }),
      component('d', journal),
    ]);
    await assert.rejects(list.start(), /c cannot start/);
    assert.deepEqual(journal, [
      'start a',
      'start b',
      'start c',
      'quiesce b',
      'quiesce a',
      'stop b',
      'stop a',
    ]);
    const readiness = list.readiness();
    assert.equal(readiness.ready, false);
    assert.deepEqual(readiness.conditions, ['stopping']);
    assert.match(readiness.reason, /c failed to start/);
  });

  it('bounds each step by its share of the time left, reports what overran, and goes on', async () => {
    const journal: string[] = [];
    // A stop that never finishes (its timer only keeps the test's process alive meanwhile).
    let hanging: NodeJS.Timeout | undefined;
    const never = () =>
      new Promise((resolve) => {
        hanging = setTimeout(resolve, 10_000);
      });
    const list = runner([
      component('quick', journal, {
        stop: async (context) => void (await context.step('quick', async () => {})),
      }),
      component('stuck', journal, {
        stop: async (context) => {
          await context.step('stuck', never, 0.1);
        },
      }),
      component('throws', journal, {
        stop: async () => {
          throw new Error('no way to stop');
        },
      }),
    ]);
    await list.start();
    const report = await list.stop('test', 3000);
    clearTimeout(hanging);
    assert.deepEqual(journal.slice(-3), ['stop throws', 'stop stuck', 'stop quick']);
    assert.equal(report.clean, false);
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.ok, s.note]),
      [
        ['throws', false, 'no way to stop'],
        ['stuck', false, 'timed out'],
        ['quick', true, undefined],
      ],
    );
    assert.ok(
      report.durationMs < 2000,
      `the stuck step took its share, not the bound (${report.durationMs} ms)`,
    );
  });

  it('is ready once every component has started and none says otherwise, with every reason when not', async () => {
    const journal: string[] = [];
    let sinkFailed = false;
    let source: { started: boolean } | undefined;
    const sourceStarts = deferred();
    // A stream fed by a source other than a channel pool: it has no channels to judge, only whether it runs.
    const stream: ServiceComponent = {
      ...component('stream', journal),
      async start() {
        await sourceStarts.promise;
        source = { started: true };
      },
      readiness: () =>
        source?.started
          ? { findings: [] }
          : {
              findings: [
                { condition: 'starting', reason: 'starting: the notification source is not started yet' },
              ],
            },
    };
    const sinks = component('sinks', journal, {
      readiness: () => ({
        findings: sinkFailed ? [{ condition: 'sink_failed', reason: 'sink hooks failed: full' }] : [],
      }),
    });
    const gate = deferred();
    const slow: ServiceComponent = { ...component('store', journal), start: () => gate.promise };
    const list = runner([
      component('http server', journal),
      slow,
      sinks,
      stream,
      component('queue names', journal),
    ]);

    const starting = list.start();
    await waitFor(() => list.state(slow) === 'starting', 'the store to be starting');
    assert.deepEqual(list.readiness(), {
      ready: false,
      reason: 'starting: store not started yet; starting: the notification source is not started yet',
      conditions: ['starting'],
    });
    gate.resolve();
    await waitFor(() => list.state(stream) === 'starting', 'the stream to be starting');
    assert.deepEqual(
      list.readiness(),
      {
        ready: false,
        reason: 'starting: the notification source is not started yet',
        conditions: ['starting'],
      },
      'the stream says why it is not ready; the queue names after it wait behind it',
    );
    sourceStarts.resolve();
    await starting;
    assert.deepEqual(list.readiness(), { ready: true, reason: 'ok', conditions: [] });

    sinkFailed = true;
    assert.deepEqual(list.readiness(), {
      ready: false,
      reason: 'sink hooks failed: full',
      conditions: ['sink_failed'],
    });
    sinkFailed = false;
    const stopping = list.stop('test', 2000);
    assert.deepEqual(list.readiness(), {
      ready: false,
      reason: 'shutting down (test)',
      conditions: ['stopping'],
    });
    await stopping;
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
