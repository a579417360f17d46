import { randomBytes } from 'node:crypto';

/** Crockford's base32 alphabet in lower case: no i, l, o, u, so ids survive being read aloud or retyped. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 12;

/** An approval id: `apr-` and 12 base32 characters (60 random bits). Also the Step Functions execution name. */
export const APPROVAL_ID = /^apr-[0-9a-hjkmnp-tv-z]{12}$/;

/** A new random approval id. */
export function newApprovalId(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(LENGTH);
  let id = 'apr-';
  for (let i = 0; i < LENGTH; i++) id += ALPHABET[bytes[i]! & 31];
  return id;
}

/** True for a well-formed approval id (anything else from a click or a CLI is refused before any lookup). */
export function isApprovalId(value: unknown): value is string {
  return typeof value === 'string' && APPROVAL_ID.test(value);
}
