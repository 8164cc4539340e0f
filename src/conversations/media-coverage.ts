/**
 * Which media of a conversation (and of each agent leg) have been seen, and which of them have ended, as bit sets
 * kept in the deriver's flags. A per-media topic shows one media's legs only, so an end is concluded per media: a
 * media has ended once a snapshot showed every one of its legs over, and the conversation (or a participant) is over
 * once every media seen for it has ended. Whole-conversation snapshots mark their media too, so a mix of aggregate
 * and per-media topics agrees: a call that ended never ends a conversation whose message leg is still open, once
 * either kind of snapshot has shown that leg.
 *
 * Bits 8-15 say "seen", bits 16-23 "ended", one bit per media type; the low bits are the deriver's own.
 */
import type { MediaType } from '../events.js';
import { legEndTime } from './legs.js';
import type { ConversationSnapshot, ParticipantSnapshot } from './snapshot.js';
import { latest } from './timestamps.js';

const MEDIA_INDEX: Record<MediaType, number> = {
  voice: 0,
  message: 1,
  email: 2,
  callback: 3,
  chat: 4,
  video: 5,
  screenshare: 6,
  unknown: 7,
};

const SEEN_SHIFT = 8;
const ENDED_SHIFT = 16;
const MEDIA_MASK = 0xff;

/** What one snapshot shows of its media: bits of the media seen and of those whose legs are all over. */
export interface MediaStatus {
  seen: number;
  ended: number;
  /** The latest end of a leg on a media that ended. */
  endedAt: string | undefined;
}

function isOver(state: string | undefined): boolean {
  return state === 'disconnected' || state === 'terminated';
}

/** Media bits of one participant: its legs on a media are over when the participant ended or they all are. */
function participantStatus(p: ParticipantSnapshot): { seen: number; open: number } {
  let seen = 0;
  let open = 0;
  for (const c of p.communications) {
    const bit = 1 << MEDIA_INDEX[c.mediaType];
    seen |= bit;
    if (p.endTime === undefined && !isOver(c.state)) open |= bit;
  }
  return { seen, open };
}

/** The media bits a participant's snapshot adds to its bits (seen, and ended where every leg is over). */
export function withParticipantMedia(bits: number, p: ParticipantSnapshot): number {
  const { seen, open } = participantStatus(p);
  return bits | (seen << SEEN_SHIFT) | ((seen & ~open) << ENDED_SHIFT);
}

/** Whether every media seen in `bits` has ended (true when none was seen: nothing is left open). */
export function noMediaOpen(bits: number): boolean {
  const seen = (bits >>> SEEN_SHIFT) & MEDIA_MASK;
  const ended = (bits >>> ENDED_SHIFT) & MEDIA_MASK;
  return (seen & ~ended) === 0;
}

/** Whether some media was seen in `bits` and every one of them has ended. */
export function everyMediaEnded(bits: number): boolean {
  return ((bits >>> SEEN_SHIFT) & MEDIA_MASK) !== 0 && noMediaOpen(bits);
}

/** The media a snapshot shows, which of them are over, and when the last leg of those ended. */
export function mediaStatus(s: ConversationSnapshot): MediaStatus {
  let seen = 0;
  let open = 0;
  for (const p of s.participants) {
    const status = participantStatus(p);
    seen |= status.seen;
    open |= status.open;
  }
  const ended = seen & ~open;
  let endedAt: string | undefined;
  if (ended !== 0) {
    for (const p of s.participants) {
      const { seen: own } = participantStatus(p);
      if ((own & ended) !== 0) endedAt = latest(endedAt, legEndTime(p));
    }
  }
  return { seen, ended, endedAt };
}

/** `flags` with the snapshot's media marked. */
export function withConversationMedia(flags: number, status: MediaStatus): number {
  return flags | (status.seen << SEEN_SHIFT) | (status.ended << ENDED_SHIFT);
}
