/** The org's entities in the platform's JSON shapes (`User`, `Queue`, `WrapupCode`, `ExternalContact`, ...). */
import type { Models } from 'purecloud-platform-client-v2';
import { iso } from '../world/format.js';
import type { Org, OrgContact, OrgQueue, OrgUser, OrgWrapupCode } from '../world/index.js';

function division(org: Org) {
  return {
    id: org.division.id,
    name: org.division.name,
    selfUri: `/api/v2/authorization/divisions/${org.division.id}`,
  };
}

export function userView(org: Org, user: OrgUser): Models.User {
  return {
    id: user.id,
    name: user.name,
    division: division(org),
    email: user.email,
    primaryContactInfo: [{ address: user.email, mediaType: 'EMAIL', type: 'PRIMARY' }],
    state: 'active',
    title: user.title,
    department: user.department,
    username: user.email,
    version: 1,
    acdAutoAnswer: false,
    selfUri: `/api/v2/users/${user.id}`,
  };
}

export function queueView(org: Org, queue: OrgQueue): Models.Queue {
  return {
    id: queue.id,
    name: queue.name,
    division: division(org),
    description: queue.description,
    dateCreated: iso(queue.dateCreated),
    dateModified: iso(queue.dateCreated),
    memberCount: queue.memberIds.length,
    userMemberCount: queue.memberIds.length,
    joinedMemberCount: queue.memberIds.length,
    acwSettings: { wrapupPrompt: 'MANDATORY_TIMEOUT', timeoutMs: 90_000 },
    skillEvaluationMethod: 'BEST',
    autoAnswerOnly: false,
    enableTranscription: false,
    enableManualAssignment: false,
    selfUri: `/api/v2/routing/queues/${queue.id}`,
  };
}

export function wrapupCodeView(org: Org, code: OrgWrapupCode): Models.WrapupCode {
  return {
    id: code.id,
    name: code.name,
    division: { ...division(org) },
    dateCreated: iso(code.dateCreated),
    dateModified: iso(code.dateCreated),
    selfUri: `/api/v2/routing/wrapupcodes/${code.id}`,
  };
}

function phone(e164: string, countryCode: string): Models.PhoneNumber {
  return { display: e164, e164, countryCode, acceptsSMS: true, userInput: e164 };
}

/**
 * An external contact. Consent lives in `customFields.marketingOptOut_checkbox` (true = opted out) and the time
 * zone in `customFields.timeZone_text`; Open Messaging ids are `externalIds` of the "Open Messaging" source.
 */
export function contactView(org: Org, contact: OrgContact): Models.ExternalContact {
  const view: Models.ExternalContact = {
    id: contact.id,
    division: division(org),
    firstName: contact.firstName,
    lastName: contact.lastName,
    cellPhone: phone(contact.phone, contact.countryCode),
    personalEmail: contact.email,
    address: { city: contact.city, countryCode: contact.countryCode },
    customFields: {
      marketingOptOut_checkbox: contact.optedOut as unknown as object,
      timeZone_text: contact.timeZone as unknown as object,
    },
    createDate: iso(contact.createDate),
    modifyDate: iso(contact.createDate),
    type: 'Curated',
    selfUri: `/api/v2/externalcontacts/contacts/${contact.id}`,
  };
  if (contact.whatsAppNumber) {
    view.whatsAppId = {
      phoneNumber: phone(contact.whatsAppNumber, contact.countryCode),
      displayName: `${contact.firstName} ${contact.lastName}`,
    };
  }
  if (contact.openMessagingId) {
    view.externalIds = [
      {
        externalSource: { id: org.openIntegration.id, name: 'Open Messaging' },
        value: contact.openMessagingId,
      },
    ];
  }
  return view;
}

export function smsNumberView(number: Org['smsNumbers'][number]): Models.SmsPhoneNumber {
  return {
    id: number.id,
    name: number.name,
    phoneNumber: number.phoneNumber,
    phoneNumberType: 'tollfree',
    provisionedThroughPureCloud: true,
    phoneNumberStatus: number.status,
    capabilities: ['sms'],
    countryCode: number.countryCode,
    dateCreated: iso(number.dateCreated),
    version: 1,
    supportsSms: true,
    supportsMms: false,
    supportsVoice: false,
    selfUri: `/api/v2/routing/sms/phonenumbers/${encodeURIComponent(number.phoneNumber)}`,
  };
}

/** What every messaging integration view has. */
function integrationBase(i: Org['whatsappIntegration']) {
  return {
    id: i.id,
    name: i.name,
    status: 'Active',
    dateCreated: iso(i.dateCreated),
    dateModified: iso(i.dateCreated),
    createStatus: 'Completed',
    selfUri: `/api/v2/conversations/messaging/integrations/${i.kind}/${i.id}`,
  };
}

export function whatsAppIntegrationView(org: Org): Models.WhatsAppIntegration {
  const i = org.whatsappIntegration;
  return { ...integrationBase(i), phoneNumber: i.phoneNumber ?? '', version: 1 };
}

/** The Open Messaging integration; its webhook signature secret is never returned. */
export function openIntegrationView(
  org: Org,
): Omit<Models.OpenIntegration, 'outboundNotificationWebhookSignatureSecretToken'> {
  const i = org.openIntegration;
  return { ...integrationBase(i), outboundNotificationWebhookUrl: i.webhookUrl ?? '' };
}
