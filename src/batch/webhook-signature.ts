/**
 * Webhook signatures. A receiver must tell our POSTs from forged ones and from replays of old
 * ones, so each carries `X-Llais-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256(secret,
 * "<t>.<raw body>")>` (the timestamp is signed with the body, as Stripe does, so it cannot be
 * changed). Receivers check with `verifyWebhookSignature` (docs/webhooks.md shows how).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Secrets are `whsec_` and 32 base64url characters: 192 random bits. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

function hmacHex(secret: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The `X-Llais-Signature` value for `body` sent at `timestampSec`. */
export function signWebhook(secret: string, body: string | Buffer, timestampSec: number): string {
  return `t=${timestampSec},sha256=${hmacHex(secret, timestampSec, body)}`;
}

/**
 * Whether `header` is a valid signature of the raw `body` under `secret`, made at most
 * `toleranceSec` seconds from `nowSec` (default: the clock). Constant-time in the signature.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string | Buffer, toleranceSec: number, nowSec = Math.floor(Date.now() / 1000)): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
  }));
  const t = Number(parts.get('t'));
  const given = parts.get('sha256') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(hmacHex(secret, t, body), 'hex'));
}
