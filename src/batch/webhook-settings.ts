/**
 * The config's `webhooks` section: its type, the `LLAIS_WEBHOOKS_*` variables and the one parser
 * for both sources (file object, environment strings). Kept beside the batch code that reads it.
 */

/** The `webhooks` section; each key also has an `LLAIS_WEBHOOKS_*` variable. */
export interface WebhookSettings {
  /** Attempts in all, the first included; after the last failure the delivery is `failed`. */
  maxAttempts: number;
  /** Delay before the second attempt; each later delay is 3× the one before (±20 % jitter). */
  initialDelayMs: number;
  /** No retry delay grows beyond this. */
  maxDelayMs: number;
  /** An attempt with no complete answer within this fails (and is retried). */
  timeoutMs: number;
  /** Allow loopback, private, link-local and other non-public targets (a receiver on the same host or network). */
  allowPrivateTargets: boolean;
}

export const WEBHOOK_ENV_KEYS: Record<string, keyof WebhookSettings> = {
  LLAIS_WEBHOOKS_MAX_ATTEMPTS: 'maxAttempts',
  LLAIS_WEBHOOKS_INITIAL_DELAY_MS: 'initialDelayMs',
  LLAIS_WEBHOOKS_MAX_DELAY_MS: 'maxDelayMs',
  LLAIS_WEBHOOKS_TIMEOUT_MS: 'timeoutMs',
  LLAIS_WEBHOOKS_ALLOW_PRIVATE: 'allowPrivateTargets',
};

/** The `webhooks` section from a file object or environment strings, over `base`; rejects unknown keys and bad values. */
export function webhookSettings(base: WebhookSettings, values: Record<string, unknown>, where: string): WebhookSettings {
  const out: WebhookSettings = { ...base };
  for (const [k, raw] of Object.entries(values)) {
    if (!(k in base)) throw new Error(`config: unknown key "webhooks.${k}" in ${where}`);
    const key = k as keyof WebhookSettings;
    if (key === 'allowPrivateTargets') out.allowPrivateTargets = raw === true || raw === '1' || raw === 'true';
    else {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < (key === 'maxAttempts' ? 1 : 0)) throw new Error(`config: webhooks.${key} must be a whole number, got ${JSON.stringify(raw)}`);
      out[key] = n;
    }
  }
  return out;
}
