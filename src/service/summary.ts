/** The words of the start-up summary and of progress lines: what an operator reads on stderr. */

import type { BackfillReport, PoolHealth, StreamStatus, TopicSubscriptionResult } from '../stream/index.js';
import type { ServiceConfig } from './config.js';

/** How a sink is named on the summary: its name, else what it is (no credentials, no query). */
export { describeSink } from '../sinks/registry.js';

const seconds = (ms: number): string =>
  ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
const short = (id: string | undefined): string => (id ? `${id.slice(0, 8)}…` : '-');

function describeSelector(name: string, value: 'all' | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value === 'all' ? `all ${name}` : `${value.length} ${name}`;
}

/** `queues all, users all, 2 topics`. */
export function describeSelection(selection: ServiceConfig['stream']['selection']): string {
  const parts = [
    describeSelector('queues', selection.queues),
    describeSelector('users', selection.users),
    selection.topics?.length ? `${selection.topics.length} raw topic(s)` : undefined,
  ].filter(Boolean);
  return parts.join(', ');
}

/** Lines about the channels after start: how many, topics, and every rejected topic grouped by what is missing. */
export function describePool(pool: PoolHealth): string[] {
  const lines = [
    `${pool.channels.length} channel(s) of ${pool.budget.limit} allowed, ${pool.topics} topic(s) to cover`,
  ];
  for (const channel of pool.channels) {
    lines.push(
      `  channel ${channel.slot} (${short(channel.channelId)}): ${channel.state}, ${channel.topics} topic(s), ${channel.permitted} subscribed, ${channel.rejected} rejected`,
    );
  }
  lines.push(...describeRejected(pool.rejected));
  return lines;
}

/** Rejected topics grouped by their missing permissions, with where to grant them. */
export function describeRejected(rejected: readonly TopicSubscriptionResult[]): string[] {
  if (rejected.length === 0) return [];
  const groups = new Map<string, TopicSubscriptionResult[]>();
  for (const result of rejected) {
    const key =
      result.missingPermissions.length > 0
        ? `missing permission ${result.missingPermissions.join(', ')}`
        : (result.rejectionReason ?? 'no reason given');
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  const lines = [`${rejected.length} topic(s) rejected by the platform (not covered):`];
  for (const [why, results] of groups) {
    const examples = results.slice(0, 3).map((r) => r.topic);
    const more = results.length > examples.length ? ` and ${results.length - examples.length} more` : '';
    lines.push(`  ${results.length} × ${why}: ${examples.join(', ')}${more}`);
  }
  lines.push(
    '  hint: grant the missing permissions to a role of the OAuth client (Admin > People & Permissions > Roles / Permissions), then restart; the other topics are covered meanwhile.',
  );
  return lines;
}

/** A progress line for a status event worth telling an operator about, or undefined. */
export function describeStatus(status: StreamStatus): string | undefined {
  switch (status.type) {
    case 'connected':
      return `channel ${status.slot} connected${status.reusedChannel ? ' (same channel)' : ''}`;
    case 'disconnected':
      return `channel ${status.slot} disconnected (${status.code}${status.reason ? ` ${status.reason}` : ''})`;
    case 'reconnecting':
      return `channel ${status.slot} reconnecting in ${seconds(status.delayMs)} (attempt ${status.attempt})${status.error ? `: ${status.error}` : ''}`;
    case 'stale':
      return `channel ${status.slot} silent for ${seconds(status.silentMs)}: watchdog tripped, reconnecting`;
    case 'channel-lost':
      return `channel ${status.slot}: the platform no longer has channel ${short(status.channelId)}; creating a new one`;
    case 'handover':
      return status.phase === 'started' || status.phase === 'completed'
        ? `channel ${status.slot} hand-over ${status.phase} (${status.reason})`
        : `channel ${status.slot} hand-over ${status.phase} (${status.reason})${status.error ? `: ${status.error}` : ''}`;
    case 'rotated':
      return `channel ${status.slot} rotated to a fresh channel (${status.reason})`;
    case 'subscribed':
      return status.rejected.length > 0
        ? `channel ${status.slot} subscribed ${status.permitted} topic(s), ${status.rejected.length} rejected`
        : undefined;
    case 'system':
      return `channel ${status.slot}: platform says ${status.message}${status.reason ? ` (${status.reason})` : ''}`;
    case 'gap-closed': {
      const { gap } = status;
      const ms = Date.parse(gap.end) - Date.parse(gap.start);
      return `gap of ${seconds(ms)} (${gap.reason}) on ${gap.topics.length} topic(s) closed; backfilling from REST`;
    }
    case 'topics-changed':
      return status.added + status.removed > 0
        ? `topics changed: +${status.added} −${status.removed}, ${status.channels} channel(s)`
        : undefined;
    case 'error':
      return `stream: ${status.error.message}`;
    default:
      return undefined;
  }
}

/** A line for a gap recovered, or tried and left open to be tried again. */
export function describeBackfill(report: BackfillReport, complete = true): string {
  const ms = Date.parse(report.gapEnd) - Date.parse(report.gapStart);
  return `${complete ? 'recovered' : 'still recovering'} ${report.gaps} gap(s) over ${seconds(ms)}: ${report.refreshed} followed conversation(s) read back, ${report.queries} analytics call(s), ${report.found} found in the gap${report.failures > 0 ? `, ${report.failures} failure(s)` : ''}${report.splits > 0 ? `, ${report.splits} interval(s) split` : ''}`;
}
