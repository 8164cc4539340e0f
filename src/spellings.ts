/**
 * The same thing, spelled as each of the platform's APIs sends it. Notifications, the REST conversation views,
 * analytics and the org listings each have their own enums (GENESYS.md §3, and the definitions in
 * `definitions/platform-api.json`): a transfer is `attended` in a notification and `Attended` in REST, a consult
 * transfer's disconnect is `transfer.consult` in the conversation API and `consultTransfer` in analytics, an SMS number
 * is `ACTIVE` in its model and `active` in the listing's query. Every reading of such a value goes through here, so
 * that each API is read the way it really writes.
 */
import type { MediaType } from './events.js';

/** `SmsPhoneNumber.phoneNumberStatus` (REST model): `INVALID, ACTIVE, PORTING, PENDING, PENDING_CANCELLATION, INITIATED`. */
export function isSmsNumberActive(phoneNumberStatus: string | undefined): boolean {
  // A listing that leaves the status out is read as usable; the platform's own number is the judge at send time.
  return phoneNumberStatus === undefined || phoneNumberStatus === 'ACTIVE';
}

/**
 * `phoneNumberStatus` as the listing's query parameter spells it (`active`, `pending-cancellation`), from the
 * model's spelling (`ACTIVE`, `PENDING_CANCELLATION`).
 */
export function smsNumberStatusQueryValue(modelStatus: string): string {
  return modelStatus.toLowerCase().replace(/_/g, '-');
}

/** `WhatsAppIntegration.status` / `OpenIntegration.status` (REST model): `Active, Inactive, Error, Starting, ...`. */
export function isIntegrationActive(status: string | undefined): boolean {
  return status === undefined || status === 'Active';
}

/** A transfer's kind in the event vocabulary. */
export type TransferKind = 'blind' | 'consult';

/**
 * `recentTransfers[].transferType`: `attended|unattended` in notifications, `Attended|Unattended` in the REST views'
 * `TransferResponse`. Undefined for anything else.
 */
export function transferKind(transferType: string | undefined): TransferKind | undefined {
  switch (transferType) {
    case 'attended':
    case 'Attended':
      return 'consult';
    case 'unattended':
    case 'Unattended':
      return 'blind';
    default:
      return undefined;
  }
}

/** A transfer's state, as notifications spell it (`pending, active, complete, canceled, failed, timeout, unknown`). */
export type TransferState = 'pending' | 'active' | 'complete' | 'canceled' | 'failed' | 'timeout' | 'unknown';

const TRANSFER_STATES: Record<string, TransferState> = {
  pending: 'pending',
  Pending: 'pending',
  active: 'active',
  Active: 'active',
  complete: 'complete',
  Complete: 'complete',
  canceled: 'canceled',
  Canceled: 'canceled',
  failed: 'failed',
  Failed: 'failed',
  timeout: 'timeout',
  Timeout: 'timeout',
  unknown: 'unknown',
  Unknown: 'unknown',
};

/** `recentTransfers[].state`: lower case in notifications, capitalised in REST (`Complete`). */
export function transferState(state: string | undefined): TransferState | undefined {
  return state === undefined ? undefined : TRANSFER_STATES[state];
}

/**
 * Analytics segment `disconnectType` (`consultTransfer`, `sessionExpired`, ...) in the notifications' spelling
 * (`transfer.consult`, `session.expired`, ...), which the event vocabulary uses. Values that are spelled the same in
 * both (`endpoint`, `client`, `transfer`, ...) pass through.
 */
export function conversationDisconnectType(analyticsDisconnectType: string): string {
  return ANALYTICS_TO_CONVERSATION[analyticsDisconnectType] ?? analyticsDisconnectType;
}

const ANALYTICS_TO_CONVERSATION: Record<string, string> = {
  conferenceTransfer: 'transfer.conference',
  consultTransfer: 'transfer.consult',
  forwardTransfer: 'transfer.forward',
  noAnswerTransfer: 'transfer.noanswer',
  notAvailableTransfer: 'transfer.notavailable',
  dndTransfer: 'transfer.dnd',
  dndEndpoint: 'endpoint.dnd',
  transportFailure: 'transport.failure',
  sessionExpired: 'session.expired',
};

/**
 * A communication's `disconnectType` from the REST conversation views, which spell do-not-disturb out
 * (`transfer.donotdisturb`), in the notifications' spelling (`transfer.dnd`). Everything else is the same.
 */
export function restDisconnectType(value: string): string {
  if (value === 'transfer.donotdisturb') return 'transfer.dnd';
  if (value === 'endpoint.donotdisturb') return 'endpoint.dnd';
  return value;
}

/**
 * Detail-event `disconnectType` (EventBridge and `v2.detail.events.*`: `ENDPOINT, CLIENT, TRANSFER, CONSULT_TRANSFER,
 * ...`) in the conversation API's spelling.
 */
export function detailEventDisconnectType(detailDisconnectType: string): string {
  const camel = detailDisconnectType.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return conversationDisconnectType(camel);
}

const DETAIL_MEDIA: Record<string, MediaType> = {
  VOICE: 'voice',
  MESSAGE: 'message',
  EMAIL: 'email',
  CALLBACK: 'callback',
  CHAT: 'chat',
  VIDEO: 'video',
  SCREENSHARE: 'screenshare',
};

/**
 * Detail-event `mediaType` (`VOICE, MESSAGE, EMAIL, CALLBACK, CHAT, VIDEO, SCREENSHARE, COBROWSE, ...`) as the event
 * vocabulary names media; `unknown` for the rest (`UNKNOWN`, `INTERNALMESSAGE`, `COBROWSE`, `SCREENMONITORING`).
 */
export function detailEventMediaType(value: string | undefined): MediaType {
  return value === undefined ? 'unknown' : (DETAIL_MEDIA[value] ?? 'unknown');
}

/**
 * Detail-event enums spelled in upper case where the conversation API spells them in lower case: `direction`
 * (`INBOUND` → `inbound`) and `messageType` (`WEBMESSAGING` → `webmessaging`). `UNKNOWN` is no value.
 */
export function detailEventLowerCase(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === 'UNKNOWN' ? undefined : value.toLowerCase();
}
