/** Addresses as they may be shown to an operator: everything masked but the last few characters. */

/** `+14045550123` → `********0123`; short ids keep two characters, nothing keeps more than four. */
export function redactAddress(address: string | undefined): string {
  if (!address) return '';
  const keep = address.length >= 10 ? 4 : address.length >= 6 ? 3 : address.length >= 4 ? 2 : 0;
  return `${'*'.repeat(Math.max(3, address.length - keep))}${keep > 0 ? address.slice(-keep) : ''}`;
}

/** Masks the given addresses wherever a text repeats them (platform messages sometimes echo the recipient). */
export function maskAddresses(text: string, addresses: readonly (string | undefined)[]): string {
  let out = text;
  for (const address of addresses) {
    if (!address) continue;
    for (const form of new Set([address, address.replace(/^\+/, '')])) {
      if (form.length >= 4) out = out.split(form).join(redactAddress(form));
    }
  }
  return out;
}
