import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's signature version prefix. */
export const SLACK_SIGNATURE_VERSION = 'v0';
/** Slack's recommended replay window: requests signed more than five minutes away from now are refused. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** Why a signature was refused (logged; never told to the caller in detail). */
export type SlackSignatureFailure = 'missing-headers' | 'malformed-timestamp' | 'stale' | 'malformed-signature' | 'mismatch';

/** The outcome of a check. */
export type SlackSignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: SlackSignatureFailure };

/**
 * `v0=` + hex(HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`)), as Slack signs requests to an app.
 * The body must be the exact bytes received (API Gateway may hand them over base64-encoded: decode first,
 * never re-serialize a parsed form).
 */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string | Uint8Array): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`${SLACK_SIGNATURE_VERSION}:${timestamp}:`, 'utf8');
  hmac.update(rawBody);
  return `${SLACK_SIGNATURE_VERSION}=${hmac.digest('hex')}`;
}

/** Inputs of {@link verifySlackSignature}. */
export interface SlackSignatureInput {
  readonly signingSecret: string;
  /** `X-Slack-Request-Timestamp` (epoch seconds). */
  readonly timestamp: string | undefined;
  /** `X-Slack-Signature`. */
  readonly signature: string | undefined;
  readonly rawBody: string | Uint8Array;
  readonly now: Date;
  /** @default SLACK_MAX_SKEW_SECONDS */
  readonly maxSkewSeconds?: number;
}

/**
 * Verifies a Slack request signature: the timestamp must be within five minutes of now (either way), and
 * the signature is compared in constant time (`timingSafeEqual` over equal-length digests), so neither a
 * forged body nor timing can recover a valid signature.
 */
export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed-timestamp' };
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > (input.maxSkewSeconds ?? SLACK_MAX_SKEW_SECONDS)) return { ok: false, reason: 'stale' };
  const match = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!match) return { ok: false, reason: 'malformed-signature' };
  const expected = Buffer.from(slackSignature(input.signingSecret, timestamp, input.rawBody).slice(3), 'hex');
  const received = Buffer.from(match[1]!, 'hex');
  return timingSafeEqual(expected, received) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
