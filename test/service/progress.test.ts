/**
 * The operator's lines come from the service's status events: while the channels connect, only progress; once the
 * stream has started, a line for each channel event worth telling; decisions folded, flushed before the last line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveRegion } from '../../src/platform/region.js';
import { reportProgress } from '../../src/service/progress.js';
import { memoryReporter } from '../../src/service/reporter.js';
import { ServiceStatusStream } from '../../src/service/status.js';
import type { StreamStatus } from '../../src/stream/status.js';

const at = new Date(0).toISOString();

describe('progress lines', () => {
  it('follow the status events from start to stop', () => {
    const status = new ServiceStatusStream();
    const report = memoryReporter();
    const stop = reportProgress(status, report);
    status.emit({
      type: 'starting',
      region: resolveRegion('mypurecloud.ie'),
      clientId: 'client-1',
      proactive: false,
    });
    status.emit({ type: 'listening', url: 'http://127.0.0.1:8080', tokenRequired: true });
    status.emit({ type: 'sinks-opened', sinks: [] });
    status.emit({ type: 'connecting', selection: { queues: 'all' } });
    const subscribed: StreamStatus = {
      type: 'subscribed',
      slot: 0,
      channelId: 'c',
      topics: 3,
      permitted: 3,
      rejected: [],
      at,
    };
    status.emit({
      type: 'channel',
      status: { type: 'connected', slot: 0, channelId: 'c', reusedChannel: false, at },
    });
    status.emit({ type: 'channel', status: subscribed });
    status.emit({ type: 'stream-started', pool: undefined });
    status.emit({
      type: 'channel',
      status: { type: 'connected', slot: 0, channelId: 'c', reusedChannel: true, at },
    });
    status.emit({ type: 'ready', url: 'http://127.0.0.1:8080', eventsSoFar: 2 });
    for (const customerId of ['a', 'b']) {
      status.emit({
        type: 'decision',
        decision: { ruleId: 'r', customerId, status: 'skipped', reasonCode: 'cooldown' },
      });
    }
    status.emit({ type: 'stopping', reason: 'SIGTERM' });
    status.emit({
      type: 'stopped',
      report: {
        clean: false,
        durationMs: 1200,
        channels: 1,
        subscriptionsRemoved: 0,
        steps: [{ step: 'subscriptions', ok: false, ms: 10, note: 'timed out' }],
      },
    });
    stop();
    assert.deepEqual(report.lines, [
      'region eu_west_1 (mypurecloud.ie), OAuth client client-1',
      'dashboard http://127.0.0.1:8080/ (access token required: open it once with ?token=<token>)',
      'sinks: none (events go to the dashboard and API only)',
      'proactive: off (no proactive section in the config)',
      'connecting: resolving all queues…',
      'connecting: channel 0 subscribed 3 topic(s)…',
      'channel 0 connected (same channel)',
      'ready: 2 event(s) so far; dashboard http://127.0.0.1:8080/',
      'shutting down: closing channels, draining sinks…',
      'proactive: r: 2 skipped cooldown',
      'stopped in 1.2 s: subscriptions removed from 0 of 1 channel(s); unfinished: subscriptions (timed out)',
    ]);
  });
});
