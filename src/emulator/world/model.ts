/**
 * The emulator's own record of a conversation: the single source every view is rendered from (notification
 * snapshots, `GET /api/v2/conversations/{id}`, the messaging views, analytics). Times are epoch milliseconds.
 * The helpers below are the only way legs change state, so that each change also lands in the leg's analytics
 * segments.
 */

/** How a customer reached the org. */
export type Channel = 'voice' | 'webmessaging' | 'sms' | 'whatsapp' | 'open' | 'email' | 'callback';
export type MessengerType = 'webmessaging' | 'sms' | 'whatsapp' | 'open';
/** Media as analytics names it. */
export type SimMedia = 'voice' | 'message' | 'email' | 'callback';
export type Origin = 'history' | 'live' | 'scripted' | 'burst' | 'agentless';

export const CHANNELS: readonly Channel[] = [
  'voice',
  'webmessaging',
  'sms',
  'whatsapp',
  'open',
  'email',
  'callback',
];

/** Analytics media type of a channel. */
export function mediaOf(channel: Channel): SimMedia {
  if (channel === 'voice' || channel === 'email' || channel === 'callback') return channel;
  return 'message';
}

export interface SimSegment {
  segmentType: 'alert' | 'interact' | 'hold' | 'wrapup' | 'ivr' | 'system' | 'dialing';
  start: number;
  end?: number;
  queueId?: string;
  disconnectType?: string;
  wrapUpCode?: string;
}

export interface SimMessage {
  messageId: string;
  conversationId: string;
  communicationId: string;
  time: number;
  status: 'received' | 'sent' | 'delivered' | 'read';
  direction: 'inbound' | 'outbound';
  textBody: string;
  messengerType: MessengerType;
  fromAddress: string;
  toAddress: string;
  /** Set on messages an API caller sent (user id or OAuth client id). */
  sentBy?: { userId?: string; clientId?: string };
}

export interface SimAfterCallWork {
  state: 'pending' | 'complete' | 'skipped';
  startTime?: number;
  endTime?: number;
}

/** One participant's communication on its media (`calls[0]`, `messages[0]`, ...). */
export interface SimCommunication {
  id: string;
  media: SimMedia;
  state: string;
  initialState: string;
  direction: 'inbound' | 'outbound';
  held?: boolean;
  confined?: boolean;
  startHoldTime?: number;
  disconnectType?: string;
  startAlertingTime?: number;
  connectedTime?: number;
  disconnectedTime?: number;
  afterCallWork?: SimAfterCallWork;
  afterCallWorkRequired?: boolean;
  peerId?: string;
  parkTime?: number;
  resumeTime?: number;
  /** Messages: channel type, addresses and the messages carried on this leg. */
  messageType?: MessengerType;
  toAddress?: string;
  fromAddress?: string;
  messages?: SimMessage[];
  /** Calls: own and far-end addresses. */
  self?: string;
  other?: string;
  /** Email. */
  subject?: string;
  messagesSent?: number;
  /** Callback. */
  callbackNumbers?: string[];
  callbackUserName?: string;
  callbackScheduledTime?: number;
  segments: SimSegment[];
}

export interface SimWrapup {
  code: string;
  name: string;
  notes?: string;
  durationSeconds: number;
  endTime: number;
}

export interface SimParticipant {
  id: string;
  purpose: string;
  startTime: number;
  connectedTime?: number;
  endTime?: number;
  name?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  address?: string;
  wrapupRequired?: boolean;
  wrapupExpected?: boolean;
  startAcwTime?: number;
  endAcwTime?: number;
  consultParticipantId?: string;
  attributes: Record<string, string>;
  wrapup?: SimWrapup;
  alertingTimeoutMs?: number;
  comm: SimCommunication;
}

export interface SimTransfer {
  id: string;
  state: 'complete';
  dateIssued: number;
  transferType: 'unattended' | 'attended';
  initiatorUserId: string;
  destination: { userId?: string; address?: string };
}

export interface SimConversation {
  /** When a snapshot of it was first published on a topic: the first moment a client following topics can know of it. */
  firstPublishedAt?: number;
  id: string;
  channel: Channel;
  media: SimMedia;
  messageType?: MessengerType;
  originatingDirection: 'inbound' | 'outbound';
  startTime: number;
  endTime?: number;
  participants: SimParticipant[];
  recentTransfers: SimTransfer[];
  divisionId: string;
  /** Voice: the number dialled. */
  address?: string;
  origin: Origin;
}

/** What a new leg starts as. */
export interface LegSpec {
  id: string;
  commId: string;
  purpose: string;
  state: 'connected' | 'alerting' | 'offering' | 'dialing' | 'contacting';
  direction: 'inbound' | 'outbound';
  name?: string;
  userId?: string;
  queueId?: string;
  externalContactId?: string;
  address?: string;
  attributes?: Record<string, string>;
  comm?: Partial<
    Pick<
      SimCommunication,
      | 'messageType'
      | 'toAddress'
      | 'fromAddress'
      | 'self'
      | 'other'
      | 'subject'
      | 'messagesSent'
      | 'callbackNumbers'
      | 'callbackUserName'
      | 'callbackScheduledTime'
    >
  >;
}

/** A new, empty conversation record. */
export function newConversation(
  id: string,
  channel: Channel,
  origin: Origin,
  divisionId: string,
  direction: 'inbound' | 'outbound' = 'inbound',
): SimConversation {
  const conversation: SimConversation = {
    id,
    channel,
    media: mediaOf(channel),
    originatingDirection: direction,
    startTime: 0,
    participants: [],
    recentTransfers: [],
    divisionId,
    origin,
  };
  if (conversation.media === 'message') conversation.messageType = channel as MessengerType;
  return conversation;
}

function segmentTypeOf(purpose: string, state: string): SimSegment['segmentType'] {
  if (state === 'alerting' || state === 'offering') return 'alert';
  if (state === 'dialing' || state === 'contacting') return 'dialing';
  if (purpose === 'ivr') return 'ivr';
  if (purpose === 'workflow') return 'system';
  return 'interact';
}

function openSegment(p: SimParticipant, segmentType: SimSegment['segmentType'], t: number): void {
  const segment: SimSegment = { segmentType, start: t };
  if (p.queueId) segment.queueId = p.queueId;
  p.comm.segments.push(segment);
}

function closeSegment(p: SimParticipant, t: number, disconnectType?: string): void {
  const last = p.comm.segments.at(-1);
  if (!last || last.end !== undefined) return;
  last.end = t;
  if (disconnectType) last.disconnectType = disconnectType;
}

/** Adds a leg to the conversation at time `t`. */
export function addLeg(conversation: SimConversation, spec: LegSpec, t: number): SimParticipant {
  const comm: SimCommunication = {
    id: spec.commId,
    media: conversation.media,
    state: spec.state,
    initialState: spec.state,
    direction: spec.direction,
    segments: [],
    ...spec.comm,
  };
  if (conversation.messageType) {
    comm.messageType = conversation.messageType;
    comm.messages = [];
  }
  const p: SimParticipant = {
    id: spec.id,
    purpose: spec.purpose,
    startTime: t,
    attributes: { ...spec.attributes },
    comm,
  };
  if (spec.name !== undefined) p.name = spec.name;
  if (spec.userId) p.userId = spec.userId;
  if (spec.queueId) p.queueId = spec.queueId;
  if (spec.externalContactId) p.externalContactId = spec.externalContactId;
  if (spec.address) p.address = spec.address;
  if (spec.purpose === 'agent' || spec.purpose === 'user') p.wrapupRequired = true;
  if (spec.state === 'connected') {
    p.connectedTime = t;
    comm.connectedTime = t;
  } else if (spec.state === 'alerting' || spec.state === 'offering') {
    comm.startAlertingTime = t;
  }
  openSegment(p, segmentTypeOf(spec.purpose, spec.state), t);
  conversation.participants.push(p);
  return p;
}

/** The leg answers (an agent accepting an offer, a customer picking up). */
export function connectLeg(p: SimParticipant, t: number): void {
  closeSegment(p, t);
  p.comm.state = 'connected';
  p.comm.connectedTime = t;
  p.connectedTime = t;
  if (p.wrapupRequired) p.wrapupExpected = true;
  openSegment(p, 'interact', t);
}

/** The leg ends with the given `disconnectType` (`transfer`, `client`, `peer`, `endpoint`, `system`, ...). */
export function disconnectLeg(p: SimParticipant, t: number, disconnectType: string): void {
  if (p.comm.state === 'disconnected' || p.comm.state === 'terminated') return;
  // A held leg ends on hold: its hold segment is the one that carries the disconnect.
  if (p.comm.held) {
    p.comm.held = false;
    delete p.comm.startHoldTime;
  }
  closeSegment(p, t, disconnectType);
  p.comm.state = 'disconnected';
  p.comm.disconnectType = disconnectType;
  p.comm.disconnectedTime = t;
  p.endTime = t;
  delete p.comm.confined;
}

/** Calls and callbacks go from `disconnected` to `terminated` once the platform has torn the leg down. */
export function terminateLeg(p: SimParticipant): void {
  if (p.comm.state === 'disconnected') p.comm.state = 'terminated';
}

export function isEnded(p: SimParticipant): boolean {
  return p.comm.state === 'disconnected' || p.comm.state === 'terminated';
}

export function holdLeg(p: SimParticipant, t: number): void {
  closeSegment(p, t);
  p.comm.held = true;
  p.comm.startHoldTime = t;
  openSegment(p, 'hold', t);
}

export function unholdLeg(p: SimParticipant, t: number): void {
  closeSegment(p, t);
  p.comm.held = false;
  delete p.comm.startHoldTime;
  openSegment(p, 'interact', t);
}

/** Message conversations: the agent parks the conversation until the customer writes again. */
export function parkLeg(p: SimParticipant, t: number): void {
  p.comm.state = 'parked';
  p.comm.parkTime = t;
}

export function resumeLeg(p: SimParticipant, t: number): void {
  p.comm.state = 'connected';
  p.comm.resumeTime = t;
}

/** After-call work begins on a leg that has just disconnected. */
export function startAcw(p: SimParticipant, t: number): void {
  p.startAcwTime = t;
  p.comm.afterCallWorkRequired = true;
  p.comm.afterCallWork = { state: 'pending', startTime: t };
  openSegment(p, 'wrapup', t);
}

/** After-call work ends with a wrap-up code. */
export function completeAcw(p: SimParticipant, t: number, code: { id: string; name: string }): void {
  const started = p.startAcwTime ?? t;
  p.endAcwTime = t;
  p.comm.afterCallWork = { state: 'complete', startTime: started, endTime: t };
  p.wrapup = {
    code: code.id,
    name: code.name,
    durationSeconds: Math.round((t - started) / 1000),
    endTime: t,
  };
  const last = p.comm.segments.at(-1);
  closeSegment(p, t);
  if (last?.segmentType === 'wrapup') last.wrapUpCode = code.id;
}

/** After-call work is skipped: the agent chose the code during the conversation. */
export function skipAcw(p: SimParticipant, t: number, code: { id: string; name: string }): void {
  p.comm.afterCallWorkRequired = false;
  p.comm.afterCallWork = { state: 'skipped', startTime: t, endTime: t };
  p.wrapup = { code: code.id, name: code.name, durationSeconds: 0, endTime: t };
  const last = p.comm.segments.at(-1);
  if (last) last.wrapUpCode = code.id;
}

/** Adds a message on a leg's communication (addresses default to the leg's own) and returns it. */
export function appendMessage(
  conversationId: string,
  comm: SimCommunication,
  message: Pick<SimMessage, 'messageId' | 'time' | 'status' | 'direction' | 'textBody'> &
    Partial<Pick<SimMessage, 'fromAddress' | 'toAddress' | 'sentBy'>>,
): SimMessage {
  const full: SimMessage = {
    conversationId,
    communicationId: comm.id,
    messengerType: comm.messageType ?? 'webmessaging',
    fromAddress: comm.fromAddress ?? '',
    toAddress: comm.toAddress ?? '',
    ...message,
  };
  comm.messages ??= [];
  comm.messages.push(full);
  return full;
}

/** True once every leg of the conversation has disconnected. */
export function allLegsEnded(conversation: SimConversation): boolean {
  return conversation.participants.length > 0 && conversation.participants.every(isEnded);
}
