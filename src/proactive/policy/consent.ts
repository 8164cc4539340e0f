/** Consent: the org's opt-out list and the contact's own opt-out attribute. */
import type { CustomerProfile } from '../customer/identity.js';
import type { ProactiveSettings } from '../rules/types.js';

/** Why consent forbids contacting this customer, or undefined when it allows it. */
export function consentProblem(profile: CustomerProfile, settings: ProactiveSettings): string | undefined {
  if (profile.optedOut) return `the contact opted out (${settings.contactAttributes.optOut})`;
  const listed = Object.values(profile.addresses).some(
    (address) => address && settings.optOutList.some((entry) => sameAddress(entry, address)),
  );
  return listed ? 'one of the contact’s addresses is on the opt-out list' : undefined;
}

/** Whether an opt-out list entry names the same address (phone numbers compared by their digits). */
export function sameAddress(entry: string, address: string): boolean {
  if (entry === address) return true;
  const digits = (s: string) => s.replace(/\D/g, '');
  return /^\+?[\d\s().-]{7,}$/.test(entry) && digits(entry) !== '' && digits(entry) === digits(address);
}
