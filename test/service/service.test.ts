import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '../../src/emulator/index.js';
import { AuthenticationError, ConfigError } from '../../src/errors.js';
import { composeService, type Service, startService } from '../../src/service/service.js';
import { openStore } from '../../src/store/index.js';
import { ReplaySource } from '../../src/stream/replay-source.js';
import { waitFor } from '../helpers/wait-for.js';
import { capturingReporter, configFor, fastEmulator, metricValue, readSse, tempDir } from './helpers.js';

const RETRY = { maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 400 };
const RECORDED_CALL = fileURLToPath(
  new URL('../fixtures/snapshots/voice-inbound-basic.jsonl', import.meta.url),
);

interface EventsBody {
  lastSeq: number;
  events: Array<{ seq: number; queueId?: string; event: { type: string; mediaType: string; id: string } }>;
}

describe('the service against the emulator', () => {
  let emulator: Emulator;
  let service: Service;
  let url: string;
  const temp = tempDir();
  const readiness: number[] = [];

  before(async () => {
    emulator = await fastEmulator();
    // The first channel creations fail with 503: the service is up and not ready while it retries.
    emulator.faults.failRequests({
      path: '/api/v2/notifications/channels',
      method: 'POST',
      count: 3,
      status: 503,
    });
    const reporter = capturingReporter();
    const starting = startService({
      config: configFor(emulator, temp.dir),
      reporter,
      retry: RETRY,
      overviewEveryMs: 200,
    });
    const [, dashboard] = await reporter.waitForLine(/^dashboard (http:\/\/\S+?)\/?(?: |$)/, 10_000);
    let settled = false;
    void starting.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      const response = await fetch(`${dashboard}/readyz`);
      readiness.push(response.status);
      if (response.status === 503) {
        const body = (await response.json()) as { ready: boolean; reason: string };
        assert.equal(body.ready, false);
        assert.ok(body.reason.length > 0, 'a 503 says why');
      } else await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    service = await starting;
    url = service.url;
    assert.equal(url, dashboard);
    assert.ok(
      reporter.lines.some((line) => /1 channel\(s\) of 20 allowed, \d+ topic\(s\) to cover/.test(line)),
    );
    assert.ok(reporter.lines.some((line) => /channel 0 \(\w{8}…\): connected/.test(line)));
  });

  after(async () => {
    await service?.stop();
    await emulator?.stop();
    temp.remove();
  });

  it('answers /healthz at once and /readyz 503 until the channels are subscribed, then 200', async () => {
    assert.ok(readiness.includes(503), `a 503 was seen while connecting (${readiness.join(',')})`);
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { ready: boolean; channels: Array<{ state: string }> };
    assert.equal(body.ready, true);
    assert.deepEqual(
      body.channels.map((c) => c.state),
      ['connected'],
    );
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  it('exposes Prometheus metrics whose counters move', async () => {
    await waitFor(() => service.api.recent.lastSeq >= 5, 'a few events', 10_000);
    const first = await fetch(`${url}/metrics`);
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain/);
    const a = await first.text();
    const events1 = metricValue(a, 'switchboard_events_total');
    const frames1 = metricValue(a, 'switchboard_frames_total');
    assert.ok(events1 !== undefined && events1 >= 5, `events counted (${events1})`);
    assert.ok(
      (metricValue(a, 'switchboard_events_total', { type: 'conversation.started' }) ?? 0) >= 1,
      'events by type',
    );
    assert.ok(frames1 !== undefined && frames1 > 0);
    assert.equal(metricValue(a, 'switchboard_ready'), 1);
    assert.equal(metricValue(a, 'switchboard_channels_used'), 1);
    assert.equal(metricValue(a, 'switchboard_channels_budget'), 20);
    assert.ok((metricValue(a, 'switchboard_channel_topics', { slot: '0' }) ?? 0) > 0);
    assert.equal(metricValue(a, 'switchboard_channel_connected', { slot: '0' }), 1);
    assert.ok((metricValue(a, 'switchboard_api_requests_total') ?? 0) > 3);
    assert.ok((metricValue(a, 'switchboard_api_retries_total') ?? 0) >= 3, 'the 503s were retried');
    assert.ok((metricValue(a, 'switchboard_rate_budget_limit') ?? 0) > 0);
    // The emulator, like the platform, sends heartbeats on quiet sockets only; frames keep arriving here.
    assert.match(a, /^# TYPE switchboard_channel_heartbeat_age_seconds gauge$/m);
    assert.ok((metricValue(a, 'switchboard_channel_last_frame_age_seconds', { slot: '0' }) ?? 99) < 5);
    assert.notEqual(metricValue(a, 'switchboard_process_cpu_seconds_total'), undefined, 'process metrics');
    for (const name of [
      'switchboard_reconnects_total',
      'switchboard_watchdog_trips_total',
      'switchboard_malformed_frames_total',
      'switchboard_backfilled_events_total',
      'switchboard_api_rate_limited_total',
    ]) {
      assert.match(a, new RegExp(`^# TYPE ${name} counter$`, 'm'), `${name} is exposed`);
    }
    await waitFor(() => service.api.recent.lastSeq > (events1 ?? 0) + 3, 'more events', 10_000);
    const b = await (await fetch(`${url}/metrics`)).text();
    assert.ok((metricValue(b, 'switchboard_events_total') ?? 0) > events1!, 'events_total moved');
    assert.ok((metricValue(b, 'switchboard_frames_total') ?? 0) > frames1!, 'frames_total moved');
  });

  it('serves the latest events with type, queue, media and limit filters, newest first', async () => {
    await waitFor(() => service.api.recent.lastSeq >= 20, 'twenty events', 15_000);
    const all = (await (await fetch(`${url}/api/events?limit=10`)).json()) as EventsBody;
    assert.equal(all.events.length, 10);
    const seqs = all.events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => y - x),
    );
    const started = (await (await fetch(`${url}/api/events?type=conversation.started`)).json()) as EventsBody;
    assert.ok(started.events.length > 0);
    assert.ok(started.events.every((e) => e.event.type === 'conversation.started'));
    const withQueue = all.events.find((e) => e.queueId) ?? started.events.find((e) => e.queueId);
    assert.ok(withQueue?.queueId, 'events carry the queue they happened on');
    const byQueue = (await (
      await fetch(`${url}/api/events?queue=${withQueue.queueId}`)
    ).json()) as EventsBody;
    assert.ok(byQueue.events.length > 0 && byQueue.events.every((e) => e.queueId === withQueue.queueId));
    const media = withQueue ? (all.events[0]?.event.mediaType ?? 'voice') : 'voice';
    const byMedia = (await (await fetch(`${url}/api/events?media=${media}`)).json()) as EventsBody;
    assert.ok(byMedia.events.length > 0 && byMedia.events.every((e) => e.event.mediaType === media));
    assert.equal((await fetch(`${url}/api/events?limit=lots`)).status, 400);
  });

  it('reports health and channels without secrets or full channel ids', async () => {
    const fullId = service.stream.health().pool!.channels[0]!.channelId!;
    const health = await fetch(`${url}/api/health`);
    assert.equal(health.status, 200);
    const text = await health.text();
    const body = JSON.parse(text) as {
      stream: { pipeline: { eventsTotal: number } };
      readiness: { ready: boolean };
    };
    assert.ok(body.stream.pipeline.eventsTotal > 0);
    assert.equal(body.readiness.ready, true);
    assert.ok(!text.includes(fullId), 'the channel id (which lets anyone read the stream) is not shown');
    assert.ok(!text.includes('switchboard-demo-secret'));
    const channels = (await (await fetch(`${url}/api/channels`)).json()) as {
      channels: Array<{ state: string; channelId: string; topics: number }>;
      budget: { limit: number; inUse: number };
    };
    assert.equal(channels.channels[0]!.state, 'connected');
    assert.equal(channels.channels[0]!.channelId, `${fullId.slice(0, 8)}…`);
    assert.equal(channels.budget.limit, 20);
    assert.equal(channels.budget.inUse, 1);
    const ledger = (await (await fetch(`${url}/api/ledger`)).json()) as {
      enabled: boolean;
      entries: unknown[];
    };
    assert.deepEqual(ledger.entries, []);
    assert.equal(ledger.enabled, true, 'the store has a ledger even without rules');
    const fault = await fetch(`${url}/api/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"type":"drop-sockets"}',
    });
    assert.equal(fault.status, 404, 'no fault injection outside demo mode');
    assert.equal((await fetch(`${url}/api/nothing`)).status, 404);
    const rebound = await new Promise<number>((resolve, reject) => {
      const request = get(`${url}/api/health`, { headers: { Host: 'attacker.example:80' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
    });
    assert.equal(rebound, 421, 'a foreign Host header (DNS rebinding) is refused without a token');
  });

  it('pushes events and the overview to dashboards over SSE', async () => {
    let helloDone = false;
    const seenAtStart = service.api.recent.lastSeq;
    const messages = await readSse(
      `${url}/api/stream`,
      (event, data) => {
        if (event === 'activity') helloDone = true;
        return (
          helloDone && event === 'events' && (data as Array<{ seq: number }>).some((e) => e.seq > seenAtStart)
        );
      },
      10_000,
    );
    assert.deepEqual(
      messages.slice(0, 3).map((m) => m.event),
      ['overview', 'events', 'activity'],
      'a new dashboard gets the picture first',
    );
    const overview = messages[0]!.data as { readiness: { ready: boolean }; inProgress: { total: number } };
    assert.equal(overview.readiness.ready, true);
    assert.equal(typeof overview.inProgress.total, 'number');
    const live = messages.at(-1)!.data as Array<{ event: { id: string } }>;
    assert.ok(live.length > 0 && typeof live[0]!.event.id === 'string');
  });

  it('serves the dashboard with a strict content security policy', async () => {
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<h1>Switchboard<\/h1>/);
    const script = await fetch(`${url}/js/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /text\/javascript/);
    assert.equal((await fetch(`${url}/js/../../package.json`)).status, 404);
  });

  it('stops in order: removes the subscriptions on the platform and closes the server', async () => {
    assert.ok(emulator.status().subscriptions > 0);
    const report = await service.stop('test');
    assert.equal(report.clean, true, JSON.stringify(report.steps));
    assert.equal(report.channels, 1);
    assert.equal(report.subscriptionsRemoved, 1);
    assert.ok(report.durationMs < 10_000);
    assert.equal(emulator.status().subscriptions, 0, 'no topic left subscribed on the platform');
    await assert.rejects(fetch(`${url}/healthz`));
  });
});

describe('service start-up and sinks', () => {
  it('refuses a non-loopback bind without a token, and a bad secret, freeing what it had opened', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 0 });
    const temp = tempDir();
    try {
      const config = configFor(emulator, temp.dir);
      await assert.rejects(
        startService({
          config: { ...config, server: { ...config.server, host: '0.0.0.0' } },
          reporter: capturingReporter(),
        }),
        (error: unknown) => error instanceof ConfigError && /server\.token/.test(error.message),
      );
      const reporter = capturingReporter();
      await assert.rejects(
        startService({
          config: { ...config, genesys: { ...config.genesys, clientSecret: 'wrong' } },
          reporter,
          retry: RETRY,
        }),
        (error: unknown) => error instanceof AuthenticationError,
      );
      const [, dashboard] = await reporter.waitForLine(/^dashboard (http:\/\/\S+?)\/?(?: |$)/, 100);
      await assert.rejects(fetch(`${dashboard}/healthz`), 'the HTTP server was closed again');
    } finally {
      await emulator.stop();
      temp.remove();
    }
  });

  it('requires the access token on a non-loopback bind: Bearer, or a cookie from ?token= once', async () => {
    const emulator = await fastEmulator();
    const temp = tempDir();
    const token = 'test-access-token-0123456789';
    const config = configFor(emulator, temp.dir);
    const service = await startService({
      config: { ...config, server: { ...config.server, host: '0.0.0.0', token } },
      reporter: capturingReporter(),
    });
    const base = `http://127.0.0.1:${service.port}`;
    try {
      assert.equal((await fetch(`${base}/healthz`)).status, 200, 'probes stay open');
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const denied = await fetch(`${base}/api/health`);
      assert.equal(denied.status, 401);
      assert.match(denied.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.match(((await denied.json()) as { reason: string }).reason, /access token is required/);
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await fetch(`${base}/`)).status, 401);
      assert.equal((await fetch(`${base}/api/stream`)).status, 401);
      assert.equal(
        (await fetch(`${base}/api/health`, { headers: { Authorization: 'Bearer wrong' } })).status,
        401,
      );
      const bearer = await fetch(`${base}/api/health`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(bearer.status, 200);
      const login = await fetch(`${base}/?token=${token}`, { redirect: 'manual' });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get('location'), '/');
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      assert.ok(cookie.length > 0 && !cookie.includes(token));
      assert.equal((await fetch(`${base}/`, { headers: { cookie } })).status, 200);
      assert.equal((await fetch(`${base}/api/events`, { headers: { cookie } })).status, 200);
      const metrics = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(metrics.status, 200);
      await readSse(`${base}/api/stream`, (event) => event === 'overview', 5000, { cookie });
    } finally {
      await service.stop();
      await emulator.stop();
      temp.remove();
    }
  });

  it('stops within its bound when the platform is gone, saying what was left undone', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 0 });
    const temp = tempDir();
    const reporter = capturingReporter();
    const service = await startService({ config: configFor(emulator, temp.dir), reporter, retry: RETRY });
    const channelId = service.stream.health().pool!.channels[0]!.channelId!;
    await emulator.stop();
    const report = await service.stop('test');
    temp.remove();
    assert.equal(report.clean, false);
    assert.ok(report.durationMs < 10_000, `bounded (${report.durationMs} ms)`);
    const step = report.steps.find((s) => s.step === 'subscriptions');
    assert.equal(step?.ok, false);
    assert.equal(report.subscriptionsRemoved, 0);
    const last = reporter.lines.at(-1)!;
    assert.match(last, /subscriptions removed from 0 of 1 channel\(s\); unfinished: subscriptions \(/);
    assert.ok(!last.includes(channelId), 'the full channel id is not printed');
    assert.ok(
      report.steps.some((s) => s.step === 'store' && s.ok),
      'the later steps still ran',
    );
  });

  it('delivers events to the configured sinks and drains them on stop', async () => {
    const emulator = await fastEmulator();
    const temp = tempDir();
    const file = join(temp.dir, 'events.jsonl');
    const service = await startService({
      config: configFor(emulator, temp.dir, { sinks: [{ kind: 'file', path: file }] }),
      reporter: capturingReporter(),
    });
    try {
      await waitFor(() => service.api.recent.lastSeq >= 10, 'ten events', 10_000);
    } finally {
      await service.stop();
      await emulator.stop();
    }
    const delivered = service.stream.health().pipeline.eventsTotal;
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, delivered, 'every delivered event reached the file sink before exit');
    temp.remove();
  });
});

describe('the service, composed', () => {
  it('is built as components started in order: the HTTP server first, the stream last but the queue names', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 0 });
    const temp = tempDir();
    try {
      const config = configFor(emulator, temp.dir, { proactive: { rulesPath: 'rules.yaml', dryRun: true } });
      const names = (options: Parameters<typeof composeService>[0]) =>
        composeService(options).runner.components.map((component) => component.name);
      const proactive = () => ({
        summary: () => ({ enabled: true, dryRun: true, rules: 0, stoppedRules: [] }),
        run: async () => undefined,
      });
      assert.deepEqual(names({ config, proactive }), [
        'http server',
        'platform client',
        'store',
        'sinks',
        'proactive engine',
        'stream',
        'queue names',
      ]);
      const replica = {
        ...config,
        bus: {
          url: 'nats://127.0.0.1:4222',
          stream: 'EVENTS',
          subjectPrefix: 'events',
          duplicateWindowMs: 600_000,
          durable: 'proactive',
          outboxCapacity: 1000,
        },
        cluster: { replicaId: 'r1', shards: 1, spareChannels: 1, leaseTtlMs: 5000, bucket: 'sb' },
      };
      const composed = composeService({ config: replica, proactive });
      assert.equal(composed.topology.kind, 'replica');
      assert.deepEqual(
        composed.runner.components.map((component) => component.name),
        [
          'http server',
          'platform client',
          'store',
          'bus',
          'sinks',
          'proactive engine',
          'stream',
          'queue names',
        ],
      );
      assert.throws(
        () =>
          composeService({ config: replica, proactive, source: new ReplaySource({ file: RECORDED_CALL }) }),
        (error: unknown) => error instanceof ConfigError && /replica reads its shards/.test(error.message),
      );
      assert.throws(
        () => composeService({ config }),
        (error: unknown) => error instanceof ConfigError && /no proactive engine/.test(error.message),
      );
    } finally {
      await emulator.stop();
      temp.remove();
    }
  });

  it('becomes ready reading from a source other than the channel pool, and stops without channels', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 0 });
    const temp = tempDir();
    // The recorded call's customer and IVR legs: no agent, so no wrap-up code to look up as the stream stops.
    const file = join(temp.dir, 'call.jsonl');
    writeFileSync(
      file,
      readFileSync(RECORDED_CALL, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const frame = JSON.parse(line) as { eventBody: { participants: Array<{ purpose?: string }> } };
          frame.eventBody.participants = frame.eventBody.participants.filter(
            (p) => p.purpose === 'customer' || p.purpose === 'ivr',
          );
          return JSON.stringify(frame);
        })
        .join('\n'),
    );
    const reporter = capturingReporter();
    const service = await startService({
      config: configFor(emulator, temp.dir),
      source: new ReplaySource({ file }),
      reporter,
      retry: RETRY,
    });
    let stopped = false;
    try {
      const ready = await fetch(`${service.url}/readyz`);
      const body = (await ready.json()) as { ready: boolean; reason: string; channels?: unknown };
      assert.equal(ready.status, 200, body.reason);
      assert.equal(body.reason, 'ok');
      assert.equal(body.channels, undefined, 'no channels to judge');
      await waitFor(() => service.api.recent.lastSeq > 0, 'events derived from the recorded call', 5000);
      assert.equal(emulator.status().channels, 0, 'no notification channel was created');
      assert.ok(reporter.lines.includes('connecting: starting the notification source…'));
      const report = await service.stop('test');
      stopped = true;
      assert.equal(report.clean, true, JSON.stringify(report.steps));
      assert.equal(report.channels, 0);
      assert.deepEqual(
        report.steps.map((step) => step.step),
        ['stream', 'store', 'platform client', 'http server'],
        'no subscriptions to remove, no sink configured',
      );
    } finally {
      if (!stopped) await service.stop('test failed');
      await emulator.stop();
      temp.remove();
    }
  });

  it('stops within its bound with a wrap-up lookup still open, its last checkpoint written', async () => {
    const emulator = await fastEmulator({ conversationsPerMinute: 0 });
    const temp = tempDir();
    // The recorded call has an agent leg: its wrap-up code is looked for in analytics, which never has it here.
    const service = await startService({
      config: configFor(emulator, temp.dir),
      source: new ReplaySource({ file: RECORDED_CALL }),
      reporter: capturingReporter(),
      retry: RETRY,
    });
    try {
      await waitFor(
        () => service.stream.health().lookups.queued > 0,
        'a wrap-up lookup waiting for analytics',
        5000,
      );
    } finally {
      const report = await service.stop('test');
      await emulator.stop();
      const store = await openStore(join(temp.dir, 'switchboard.db'));
      const checkpoint = await store.getCheckpoint<{ deriver: { conversations: unknown[] } }>('stream');
      await store.close();
      temp.remove();
      assert.equal(report.clean, true, JSON.stringify(report.steps));
      assert.ok(checkpoint, 'the last checkpoint was written');
      assert.equal(checkpoint.value.deriver.conversations.length, 1, 'with the conversation still followed');
    }
  });
});
