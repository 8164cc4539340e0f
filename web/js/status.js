// The activity log's words for the channel pool's status events (channel ids arrive already shortened).
import { duration } from './format.js';

/** `{text, tone}` for a status event worth showing, or undefined. Tone: good, bad or ''. */
export function describeStatus(status) {
  const slot = `channel ${status.slot ?? ''}`.trim();
  switch (status.type) {
    case 'connecting':
      return { text: `${slot} connecting (${status.channelId})`, tone: '' };
    case 'connected':
      return { text: `${slot} connected${status.reusedChannel ? ' (same channel)' : ''}`, tone: 'good' };
    case 'disconnected':
      return {
        text: `${slot} disconnected (${status.code}${status.reason ? ` ${status.reason}` : ''})`,
        tone: 'bad',
      };
    case 'reconnecting':
      return {
        text: `${slot} reconnecting in ${duration(status.delayMs)} (attempt ${status.attempt})${status.error ? `: ${status.error}` : ''}`,
        tone: 'bad',
      };
    case 'stale':
      return { text: `${slot} silent for ${duration(status.silentMs)}: watchdog tripped`, tone: 'bad' };
    case 'channel-created':
      return { text: `${slot} created channel ${status.channelId}`, tone: '' };
    case 'channel-lost':
      return { text: `${slot} lost channel ${status.channelId}; creating a new one`, tone: 'bad' };
    case 'handover':
      return {
        text: `${slot} hand-over ${status.phase} (${status.reason})${status.error ? `: ${status.error}` : ''}`,
        tone: status.phase === 'completed' ? 'good' : status.phase === 'failed' ? 'bad' : '',
      };
    case 'rotated':
      return { text: `${slot} rotated to ${status.toChannelId} (${status.reason})`, tone: 'good' };
    case 'subscribed':
      return {
        text: `${slot} subscribed ${status.permitted} of ${status.topics} topic(s)${status.rejected ? `, ${status.rejected} rejected` : ''}`,
        tone: status.rejected ? 'bad' : 'good',
      };
    case 'system':
      return {
        text: `${slot}: platform says ${status.message}${status.reason ? ` (${status.reason})` : ''}`,
        tone: '',
      };
    case 'malformed':
      return { text: `${slot}: malformed frame skipped (${status.reason})`, tone: 'bad' };
    case 'gap-closed': {
      const gap = status.gap ?? {};
      const ms = Date.parse(gap.end) - Date.parse(gap.start);
      return {
        text: `gap of ${duration(ms)} closed (${gap.reason}, ${gap.topics} topics): backfilling`,
        tone: 'good',
      };
    }
    case 'topics-changed':
      return {
        text: `topics changed: +${status.added} −${status.removed} (${status.channels} channels)`,
        tone: '',
      };
    case 'error':
      return { text: `error: ${status.error}`, tone: 'bad' };
    case 'closed':
      return { text: `pool closed (${status.cause?.reason ?? ''})`, tone: 'bad' };
    default:
      return undefined;
  }
}
