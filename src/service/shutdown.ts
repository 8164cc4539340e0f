/**
 * Orderly shutdown within a time bound: tell the proactive engine to take no new work, stop taking frames (the
 * stream stops its channels, waits briefly for wrap-up lookups, writes its checkpoint and flushes the sinks), let
 * the engine record the decisions in flight, remove the channels' subscriptions on the platform (the platform has
 * no channel delete; an emptied channel simply expires), then close sinks, store, platform client and the HTTP
 * server. A step that overruns its share of the time is reported and left behind; the rest still runs.
 */
import type { Logger } from '../logging.js';
import type { LiveStream } from '../pipeline/conversation-stream.js';
import type { PlatformClient } from '../platform/index.js';
import type { DashboardState } from '../server/dashboard-state.js';
import type { RunningHttpServer } from '../server/http-server.js';
import type { EventDispatcher } from '../sinks/index.js';
import type { SwitchboardStore } from '../store/index.js';
import type { Reporter } from './reporter.js';

/** What a shutdown did. */
export interface ShutdownReport {
  /** Every step finished in time and without error. */
  clean: boolean;
  durationMs: number;
  channels: number;
  subscriptionsRemoved: number;
  steps: Array<{ step: string; ok: boolean; ms: number; note?: string }>;
}

export interface ShutdownParts {
  timeoutMs: number;
  stream: LiveStream;
  platform: PlatformClient;
  abortEngine: () => void;
  engineRun: Promise<void> | undefined;
  sinks: EventDispatcher | undefined;
  store: SwitchboardStore;
  state: DashboardState;
  http: RunningHttpServer;
  report: Reporter;
  logger: Logger;
}

class StepTimeout extends Error {}

/** A channel id lets anyone read the channel's stream: messages keep only its first characters. */
function shortenChannelIds(text: string): string {
  return text.replace(/(\/channels\/)([0-9a-f-]{8})[0-9a-f-]{4,}/gi, '$1$2…');
}

/** Runs the shutdown; never throws. */
export async function shutdownService(parts: ShutdownParts): Promise<ShutdownReport> {
  const started = Date.now();
  // Keep a little of the bound for the last steps and for the process to exit.
  const deadline = started + Math.max(1000, parts.timeoutMs - 500);
  const steps: ShutdownReport['steps'] = [];
  const remaining = () => Math.max(0, deadline - Date.now());

  const step = async (
    name: string,
    work: () => Promise<unknown>,
    shareMs = remaining(),
  ): Promise<boolean> => {
    const at = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new StepTimeout()), Math.max(0, Math.min(shareMs, remaining())));
          timer.unref();
        }),
      ]);
      steps.push({ step: name, ok: true, ms: Date.now() - at });
      return true;
    } catch (error) {
      const note = error instanceof StepTimeout ? 'timed out' : shortenChannelIds((error as Error).message);
      steps.push({ step: name, ok: false, ms: Date.now() - at, note });
      parts.logger.warn({ step: name, note }, 'shutdown step did not finish');
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  parts.report.line('shutting down: closing channels, draining sinks…');
  // A replica's channels pass to the shards' next owners: their subscriptions must stay.
  const health = parts.stream.health();
  const channelIds = (health.cluster ? [] : (health.pool?.channels ?? []))
    .map((c) => c.channelId)
    .filter((id): id is string => id !== undefined);

  // The engine takes no new work from here on; what it has in flight finishes while the stream stops.
  parts.abortEngine();
  await step(
    'stream',
    () => parts.stream.stop({ drainMs: Math.min(5000, remaining() / 2) }),
    remaining() * 0.5,
  );
  if (parts.engineRun) await step('proactive engine', () => parts.engineRun!, remaining() * 0.6);

  let removed = 0;
  await step(
    'subscriptions',
    async () => {
      const results = await Promise.allSettled(
        channelIds.map((id) => parts.platform.notifications.deleteNotificationsChannelSubscriptions(id)),
      );
      removed = results.filter((r) => r.status === 'fulfilled').length;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    remaining() * 0.7,
  );
  if (parts.sinks) await step('sinks', () => parts.sinks!.close({ timeoutMs: remaining() }));
  await step('store', () => parts.store.close());
  await step('platform client', () => parts.platform.close());
  parts.state.close();
  await step('http server', () => parts.http.close());

  const report: ShutdownReport = {
    clean: steps.every((s) => s.ok),
    durationMs: Date.now() - started,
    channels: channelIds.length,
    subscriptionsRemoved: removed,
    steps,
  };
  const failed = steps.filter((s) => !s.ok).map((s) => `${s.step} (${s.note})`);
  parts.report.line(
    `stopped in ${(report.durationMs / 1000).toFixed(1)} s: subscriptions removed from ${removed} of ${channelIds.length} channel(s)${failed.length > 0 ? `; unfinished: ${failed.join(', ')}` : ''}`,
  );
  return report;
}
