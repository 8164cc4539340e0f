/**
 * The operator's lines on stderr, from the service's status events: the start-up summary as each part comes up,
 * progress while the channels connect, then what an operator wants to hear of (reconnects, hand-overs, gaps
 * recovered, proactive decisions), and the shutdown.
 */
import { DecisionLines } from './decision-lines.js';
import type { Reporter } from './reporter.js';
import type { ServiceStatus, ServiceStatusStream } from './status.js';
import { describeBackfill, describePool, describeSelection, describeStatus } from './summary.js';

/** Writes the service's progress to `report`; returns the function that stops (flushing pending decisions). */
export function reportProgress(status: ServiceStatusStream, report: Reporter): () => void {
  const decisions = new DecisionLines(report);
  // Until the stream has started, channel events are progress on one line; after, each one worth telling is a line.
  let started = false;
  let proactive = true;
  const onStatus = (event: ServiceStatus): void => {
    switch (event.type) {
      case 'starting': {
        const { region } = event;
        report.line(
          `region ${region.custom ? region.apiBaseUrl : `${region.name} (${region.domain})`}, OAuth client ${event.clientId}`,
        );
        proactive = event.proactive;
        return;
      }
      case 'listening':
        report.line(
          `dashboard ${event.url}/${event.tokenRequired ? ' (access token required: open it once with ?token=<token>)' : ''}`,
        );
        return;
      case 'store-opened':
        report.line(`store ${event.description}`);
        return;
      case 'bus-connected':
        report.line(
          `bus ${event.description} (NATS ${event.serverVersion}): stream ${event.stream}, subjects ${event.subjectPrefix}.<type>.<conversation>`,
        );
        return;
      case 'sinks-opened':
        report.line(
          event.sinks.length > 0
            ? `sinks: ${event.sinks.join(', ')}`
            : 'sinks: none (events go to the dashboard and API only)',
        );
        if (!proactive) report.line('proactive: off (no proactive section in the config)');
        return;
      case 'engine-built':
        if (event.ownClient) {
          report.line(
            `proactive: lookups and sends on their own OAuth client ${event.ownClient} (its own rate budget)`,
          );
        }
        report.line(
          `proactive: ${event.rules} rule(s) from ${event.rulesFile}${event.dryRun ? ' (dry run: nothing is sent)' : ''}`,
        );
        return;
      case 'connecting':
        report.progress(
          event.selection
            ? `connecting: resolving ${describeSelection(event.selection)}…`
            : 'connecting: starting the notification source…',
        );
        return;
      case 'channel': {
        const channel = event.status;
        if (!started) {
          if (channel.type === 'subscribed') {
            report.progress(`connecting: channel ${channel.slot} subscribed ${channel.permitted} topic(s)…`);
          }
          return;
        }
        const line = describeStatus(channel);
        if (line) report.line(line);
        return;
      }
      case 'stream-started':
        started = true;
        if (event.pool) for (const line of describePool(event.pool)) report.line(line);
        return;
      case 'replica-joined':
        started = true;
        report.line(
          `replica ${event.replicaId}: ${event.shards} shard(s), ${event.spareChannels} spare channel(s), lease TTL ${event.leaseTtlMs} ms`,
        );
        return;
      case 'ready':
        report.line(`ready: ${event.eventsSoFar} event(s) so far; dashboard ${event.url}/`);
        return;
      case 'backfill':
        report.line(describeBackfill(event.report, event.complete));
        return;
      case 'decision':
        decisions.add(event.decision);
        return;
      case 'stopping':
        report.line('shutting down: closing channels, draining sinks…');
        return;
      case 'stopped': {
        decisions.flush();
        const { report: done } = event;
        const failed = done.steps.filter((s) => !s.ok).map((s) => `${s.step} (${s.note})`);
        report.line(
          `stopped in ${(done.durationMs / 1000).toFixed(1)} s: subscriptions removed from ${done.subscriptionsRemoved} of ${done.channels} channel(s)${failed.length > 0 ? `; unfinished: ${failed.join(', ')}` : ''}`,
        );
        return;
      }
      case 'component':
        return;
    }
  };
  const off = status.on('*', onStatus);
  return () => {
    off();
    decisions.close();
  };
}
