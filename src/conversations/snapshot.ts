/**
 * The compact internal model of a whole-conversation snapshot: only what the lifecycle deriver reads, with the
 * SDK's field names (`QueueConversationEventTopicConversation` and the REST `Conversation` share them).
 * Timestamps are normalised to ISO-8601 with milliseconds. Absent keys are `undefined`; customer addresses and
 * message text are never copied in.
 */
import type { MediaType } from '../events.js';

/** A wrap-up as the platform records it (`...Wrapup`); `name` and `provisional` come from REST only. */
export interface WrapupSnapshot {
  code: string | undefined;
  name: string | undefined;
  notes: string | undefined;
  tags: string[] | undefined;
  durationSeconds: number | undefined;
  endTime: string | undefined;
  provisional: boolean | undefined;
}

/** `...AfterCallWork`: `state` is `unknown`, `skipped`, `pending`, `complete` or `notApplicable`. */
export interface AfterCallWorkSnapshot {
  state: string | undefined;
  startTime: string | undefined;
  endTime: string | undefined;
}

/** One entry of a participant's media arrays (`calls[]`, `messages[]`, `emails[]`, ...). */
export interface CommunicationSnapshot {
  id: string | undefined;
  mediaType: MediaType;
  state: string | undefined;
  direction: string | undefined;
  held: boolean | undefined;
  disconnectType: string | undefined;
  connectedTime: string | undefined;
  disconnectedTime: string | undefined;
  afterCallWork: AfterCallWorkSnapshot | undefined;
  afterCallWorkRequired: boolean | undefined;
  wrapup: WrapupSnapshot | undefined;
  /** Messages only: `webmessaging`, `open`, `sms`, `whatsapp`, `facebook`, ... */
  messageType: string | undefined;
  parkTime: string | undefined;
  resumeTime: string | undefined;
}

/** A participant (one leg). Aggregate participants carry no state of their own: it lives in `communications`. */
export interface ParticipantSnapshot {
  /** Empty when the platform sent none; such a participant counts for the conversation but yields no events. */
  id: string;
  /** Free string: `customer`, `external`, `ivr`, `acd`, `agent`, `user`, `workflow`, ... ('' when absent). */
  purpose: string;
  userId: string | undefined;
  queueId: string | undefined;
  externalContactId: string | undefined;
  /** REST only. */
  startTime: string | undefined;
  connectedTime: string | undefined;
  endTime: string | undefined;
  startAcwTime: string | undefined;
  endAcwTime: string | undefined;
  wrapupRequired: boolean | undefined;
  wrapupExpected: boolean | undefined;
  /** REST only. */
  wrapupSkipped: boolean | undefined;
  wrapup: WrapupSnapshot | undefined;
  consultParticipantId: string | undefined;
  /** `attributes.consultInitiator === "true"`. */
  consultInitiator: boolean;
  communications: CommunicationSnapshot[];
}

/** `...TransferResponse`, flattened. */
export interface TransferSnapshot {
  id: string | undefined;
  state: string | undefined;
  /** `attended` or `unattended`. */
  transferType: string | undefined;
  dateIssued: string | undefined;
  initiatorUserId: string | undefined;
  destinationUserId: string | undefined;
}

/** A conversation as one notification (or one REST read) shows it: whole, or one media of it. */
export interface ConversationSnapshot {
  id: string;
  participants: ParticipantSnapshot[];
  recentTransfers: TransferSnapshot[];
  /** REST `Conversation` only: notifications carry no conversation-level times. */
  startTime: string | undefined;
  endTime: string | undefined;
  /**
   * Set when the snapshot shows one media's legs only (a per-media topic): the deriver concludes nothing about the
   * conversation's other media from their absence. Absent: the whole conversation.
   */
  coversOnly?: MediaType;
}
