/**
 * Telling a transfer from everything else that ends an agent leg. A transfer is an agent or user leg that ended
 * with a `transfer*` disconnect type (or that `recentTransfers` names as initiator) while the conversation moved
 * on to a participant created after it. Routing hand-offs (ivr and acd legs ending with `transfer`) never get
 * here: only agent legs are asked.
 */
import type { ConversationTransferredEvent } from '../events.js';
import { transferKind, transferState } from '../spellings.js';
import { isAgentLeg, legEnded, legEndTime, legFirstTime, legTransferDisconnectType } from './legs.js';
import type { ConversationSnapshot, ParticipantSnapshot, TransferSnapshot } from './snapshot.js';

/** What the deriver needs to emit `conversation.transferred`. */
export interface TransferView {
  to: ConversationTransferredEvent['to'];
  transferType: 'blind' | 'consult';
}

/** How long after a leg ended a `recentTransfers` entry may still be dated and belong to it. */
const TRANSFER_RECORD_SLACK_MS = 5_000;

function isAbandoned(t: TransferSnapshot): boolean {
  const state = transferState(t.state);
  return state === 'canceled' || state === 'failed';
}

/**
 * The `recentTransfers` entry the leg initiated: same initiator user, dated between the leg's connection and
 * shortly after its end (one user can hold several legs of one conversation). The latest such entry wins.
 */
function transferRecordOf(
  transfers: TransferSnapshot[],
  leg: ParticipantSnapshot,
  endAt: string | undefined,
): TransferSnapshot | undefined {
  if (leg.userId === undefined || transfers.length === 0) return undefined;
  const from = legFirstTime(leg);
  const until = endAt === undefined ? undefined : Date.parse(endAt) + TRANSFER_RECORD_SLACK_MS;
  let found: TransferSnapshot | undefined;
  for (const t of transfers) {
    if (t.initiatorUserId !== leg.userId || isAbandoned(t)) continue;
    const issued = t.dateIssued;
    if (issued !== undefined) {
      if (from !== undefined && issued < from) continue;
      if (until !== undefined && Date.parse(issued) > until) continue;
    }
    if (found === undefined || (issued !== undefined && (found.dateIssued ?? '') <= issued)) found = t;
  }
  return found;
}

function isDestinationPurpose(purpose: string): boolean {
  switch (purpose) {
    case 'acd':
    case 'agent':
    case 'user':
    case 'external':
    case 'customer':
    case 'ivr':
    case 'workflow':
      return true;
    default:
      return false;
  }
}

/**
 * The participant the conversation moved to: the one named by the transfer record when present, else the first
 * participant created after the leg that was still there when the leg ended (earlier consults and offers that
 * ended before it are passed over).
 */
function destinationOf(
  s: ConversationSnapshot,
  index: number,
  endAt: string | undefined,
  destinationUserId: string | undefined,
): ParticipantSnapshot | undefined {
  const parts = s.participants;
  if (destinationUserId !== undefined) {
    for (let j = index + 1; j < parts.length; j++) {
      const p = parts[j]!;
      if (p.userId === destinationUserId && isAgentLeg(p)) return p;
    }
  }
  for (let j = index + 1; j < parts.length; j++) {
    const p = parts[j]!;
    if (!isDestinationPurpose(p.purpose)) continue;
    if (endAt !== undefined && legEnded(p)) {
      const pEnd = legEndTime(p);
      if (pEnd !== undefined && pEnd < endAt) continue;
    }
    return p;
  }
  return undefined;
}

function destinationRef(p: ParticipantSnapshot): TransferView['to'] {
  switch (p.purpose) {
    case 'acd':
      return p.queueId === undefined
        ? { kind: 'queue', participantId: p.id }
        : { kind: 'queue', queueId: p.queueId, participantId: p.id };
    case 'agent':
    case 'user':
      return p.userId === undefined
        ? { kind: 'user', participantId: p.id }
        : { kind: 'user', userId: p.userId, participantId: p.id };
    case 'external':
    case 'customer':
      return { kind: 'external', participantId: p.id };
    default:
      return { kind: 'unknown', participantId: p.id };
  }
}

/**
 * Whether the ended agent leg at `index` transferred the conversation, and where to; undefined when it did not
 * (or when the destination is not visible yet: a later snapshot will tell). `consultSeen` says whether an
 * earlier snapshot showed the leg consulting (consult markers are transient).
 */
export function detectTransfer(
  s: ConversationSnapshot,
  index: number,
  consultSeen: boolean,
): TransferView | undefined {
  const leg = s.participants[index]!;
  const disconnectType = legTransferDisconnectType(leg);
  if (disconnectType === undefined && s.recentTransfers.length === 0) return undefined; // the usual hang-up
  const endAt = legEndTime(leg);
  const record = transferRecordOf(s.recentTransfers, leg, endAt);
  if (disconnectType === undefined && record === undefined) return undefined;

  const destination = destinationOf(s, index, endAt, record?.destinationUserId);
  let to: TransferView['to'];
  if (destination !== undefined) to = destinationRef(destination);
  else if (record?.destinationUserId !== undefined) to = { kind: 'user', userId: record.destinationUserId };
  else return undefined;

  // recentTransfers says which kind it was; without it, the disconnect type and consult signs tell.
  const transferType: TransferView['transferType'] =
    transferKind(record?.transferType) ?? inferredKind(disconnectType, consultSeen, leg, destination);
  return { to, transferType };
}

function inferredKind(
  disconnectType: string | undefined,
  consultSeen: boolean,
  leg: ParticipantSnapshot,
  destination: ParticipantSnapshot | undefined,
): TransferView['transferType'] {
  if (disconnectType === 'transfer.consult' || disconnectType === 'transfer.conference') return 'consult';
  if (disconnectType === 'transfer.forward') return 'blind';
  const consultSigns =
    consultSeen ||
    leg.consultParticipantId !== undefined ||
    leg.consultInitiator ||
    destination?.consultParticipantId !== undefined;
  return consultSigns ? 'consult' : 'blind';
}
