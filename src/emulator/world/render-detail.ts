/**
 * Renders the emulator's conversation record as the conversation detail events the platform publishes
 * (`v2.detail.events.conversation.{id}.customer.start`, `.acd.end`, `.user.end`, `.acw`, `.wrapup`, ...; the SDK's
 * `…DetailEventTopic…Event` models): one flat record per thing that happened to a leg, upper-case enums, `eventTime`
 * in epoch milliseconds. Sparse: keys are absent, never null.
 *
 * Rendered from the record as it is now, so every record whose moment has come is in the list; the world publishes
 * those it has not published yet ({@link DetailEventLog}). Which record fires when is the emulator's reading of the
 * models (unverified against captures): a leg's `*.start` when it is created, its `*.end` when it disconnects (with
 * its durations), `acd.end` when an agent answers (`ANSWERED`, `answeredUserId`), `acw` when after-call work completes,
 * and `wrapup` when the code is set — at the end of after-call work with its duration, or at the disconnect with 0
 * when after-call work was skipped.
 */

import { analyticsDisconnectType } from './analytics.js';
import { sparse } from './format.js';
import type { SimConversation, SimParticipant } from './model.js';
import { PROVIDER } from './render.js';

type Json = Record<string, unknown>;

/** One detail event: its concrete topic, its body, and a key that names it within the conversation. */
export interface DetailEventFrame {
  topic: string;
  body: Json;
  key: string;
}

const MEDIA: Record<SimConversation['media'], string> = {
  voice: 'VOICE',
  message: 'MESSAGE',
  email: 'EMAIL',
  callback: 'CALLBACK',
};

/** The conversation API's disconnect type (`transfer.consult`) as detail events spell it (`CONSULT_TRANSFER`). */
export function detailDisconnectType(value: string | undefined): string | undefined {
  const camel = analyticsDisconnectType(value);
  return camel?.replace(/([A-Z])/g, '_$1').toUpperCase();
}

/** Time spent in each kind of segment (closed ones only). */
function segmentTime(p: SimParticipant, type: string): number {
  let total = 0;
  for (const s of p.comm.segments)
    if (s.segmentType === type && s.end !== undefined) total += s.end - s.start;
  return total;
}

/** Addresses and routing fields every record of the conversation carries. */
function common(c: SimConversation, p: SimParticipant, t: number): Json {
  const customer = c.participants.find((x) => x.purpose === 'customer');
  const cc = customer?.comm;
  const call = c.media === 'voice' ? { ani: cc?.self, dnis: cc?.other } : {};
  const inbound = c.originatingDirection === 'inbound';
  const message =
    c.media === 'message'
      ? {
          addressFrom: inbound ? cc?.fromAddress : cc?.toAddress,
          addressTo: inbound ? cc?.toAddress : cc?.fromAddress,
        }
      : {};
  const contacts = c.participants.flatMap((x) => (x.externalContactId ? [x.externalContactId] : []));
  return {
    eventTime: t,
    conversationId: c.id,
    participantId: p.id,
    sessionId: p.comm.id,
    mediaType: MEDIA[c.media],
    provider: PROVIDER[c.media],
    direction: p.comm.direction.toUpperCase(),
    ...call,
    ...message,
    subject: c.media === 'email' ? cc?.subject : undefined,
    callbackUserName: c.media === 'callback' ? cc?.callbackUserName : undefined,
    callbackNumbers: c.media === 'callback' ? cc?.callbackNumbers : undefined,
    messageType: c.messageType?.toUpperCase(),
    divisionId: c.divisionId,
    conversationExternalContactIds: contacts.length > 0 ? [...new Set(contacts)] : undefined,
  };
}

/** The after-call work and wrap-up models carry no division. */
const WITHOUT_DIVISION = new Set(['acw', 'wrapup']);

function frame(
  c: SimConversation,
  event: string,
  p: SimParticipant,
  t: number,
  fields: Json,
): DetailEventFrame {
  const body = sparse<Json>({ ...common(c, p, t), ...fields });
  if (WITHOUT_DIVISION.has(event)) delete body.divisionId;
  return {
    topic: `v2.detail.events.conversation.${c.id}.${event}`,
    body,
    key: `${event}|${p.id}|${t}`,
  };
}

function flowType(c: SimConversation, p: SimParticipant): string {
  if (p.purpose === 'workflow' && c.media !== 'message' && c.media !== 'email') return 'WORKFLOW';
  switch (c.media) {
    case 'voice':
      return 'INBOUNDCALL';
    case 'email':
      return 'INBOUNDEMAIL';
    case 'message':
      return 'INBOUNDSHORTMESSAGE';
    default:
      return 'WORKFLOW';
  }
}

/** The agent who answered when an acd leg ended: an agent leg of its queue that connected at that moment. */
function answeredBy(c: SimConversation, acd: SimParticipant): SimParticipant | undefined {
  return c.participants.find(
    (p) =>
      (p.purpose === 'agent' || p.purpose === 'user') &&
      p.connectedTime !== undefined &&
      p.connectedTime === acd.endTime &&
      p.queueId === acd.queueId,
  );
}

function legEvents(c: SimConversation, p: SimParticipant): DetailEventFrame[] {
  const out: DetailEventFrame[] = [];
  const end = p.endTime;
  const disconnectType = detailDisconnectType(p.comm.disconnectType);
  switch (p.purpose) {
    case 'customer':
    case 'external': {
      const fields = { externalContactId: p.externalContactId };
      out.push(frame(c, 'customer.start', p, p.startTime, fields));
      if (end !== undefined) out.push(frame(c, 'customer.end', p, end, { ...fields, disconnectType }));
      break;
    }
    case 'ivr':
    case 'workflow': {
      const fields = { flowType: flowType(c, p) };
      out.push(frame(c, 'flow.start', p, p.startTime, fields));
      if (end !== undefined) {
        out.push(
          frame(c, 'flow.end', p, end, {
            ...fields,
            disconnectType,
            connectedDurationMs: end - p.startTime,
            exitReason: disconnectType === 'TRANSFER' ? 'TRANSFER' : 'DISCONNECT',
            transferType: disconnectType === 'TRANSFER' ? 'ACD' : undefined,
          }),
        );
      }
      break;
    }
    case 'acd': {
      const fields = { queueId: p.queueId, routingPriority: 0 };
      out.push(frame(c, 'acd.start', p, p.startTime, fields));
      if (end !== undefined) {
        const agent = answeredBy(c, p);
        out.push(
          frame(c, 'acd.end', p, end, {
            ...fields,
            disconnectType,
            acdOutcome: agent ? 'ANSWERED' : 'ABANDON',
            answeredUserId: agent?.userId,
            usedRouting: agent ? 'STANDARD' : undefined,
            connectedDurationMs: end - p.startTime,
          }),
        );
      }
      break;
    }
    case 'agent':
    case 'user': {
      const fields = { userId: p.userId, queueId: p.queueId };
      out.push(frame(c, 'user.start', p, p.startTime, fields));
      if (end !== undefined) {
        out.push(
          frame(c, 'user.end', p, end, {
            ...fields,
            disconnectType,
            alertingDurationMs: segmentTime(p, 'alert'),
            interactingDurationMs: segmentTime(p, 'interact'),
            heldDurationMs: segmentTime(p, 'hold'),
          }),
        );
      }
      const acw = p.comm.afterCallWork;
      const w = p.wrapup;
      if (acw?.state === 'complete' && p.endAcwTime !== undefined) {
        const durationMs = p.endAcwTime - (p.startAcwTime ?? p.endAcwTime);
        const coded = {
          queueId: p.queueId,
          wrapupCode: w?.code,
          wrapupNotes: w?.notes,
          wrapupDurationMs: durationMs,
        };
        out.push(frame(c, 'acw', p, p.endAcwTime, { userId: p.userId, ...coded }));
        if (w) out.push(frame(c, 'wrapup', p, w.endTime, coded));
      } else if (acw?.state === 'skipped' && w) {
        out.push(
          frame(c, 'wrapup', p, w.endTime, {
            queueId: p.queueId,
            wrapupCode: w.code,
            wrapupNotes: w.notes,
            wrapupDurationMs: 0,
          }),
        );
      }
      break;
    }
  }
  return out;
}

/** Every detail event of the conversation so far, in the order they happened. */
export function renderDetailEvents(c: SimConversation): DetailEventFrame[] {
  const out = c.participants.flatMap((p) => legEvents(c, p));
  // A stable sort keeps a leg's records in their causal order within one millisecond.
  return out.sort((a, b) => (a.body.eventTime as number) - (b.body.eventTime as number));
}

/** Which detail events of each conversation have been published, so each is published once (and duplicates on purpose). */
export class DetailEventLog {
  private readonly published = new WeakMap<SimConversation, Set<string>>();

  /** The conversation's detail events not published yet, marked as published. */
  next(c: SimConversation): DetailEventFrame[] {
    let seen = this.published.get(c);
    if (seen === undefined) {
      seen = new Set();
      this.published.set(c, seen);
    }
    const out: DetailEventFrame[] = [];
    for (const f of renderDetailEvents(c)) {
      if (seen.has(f.key)) continue;
      seen.add(f.key);
      out.push(f);
    }
    return out;
  }
}
