/**
 * When a failed webhook delivery is tried again: exponential backoff (initial × 3^(n−1), capped),
 * each delay scaled by a random factor in [0.8, 1.2) so that many receivers failing together
 * (one outage) are not retried in lockstep.
 */

/** The `webhooks` config section's retry settings. */
export interface RetrySettings {
  /** Attempts in all, the first included; after the last failure the delivery is `failed`. */
  maxAttempts: number;
  /** Delay before the second attempt. */
  initialDelayMs: number;
  /** No delay grows beyond this. */
  maxDelayMs: number;
}

/** Each delay is this many times the one before. */
const BACKOFF_FACTOR = 3;
/** ±20 %: enough to spread a herd, small enough that the schedule stays recognisable. */
const JITTER = 0.2;

/** Delay after failed attempt number `attempt` (1-based) before the next, or null when none is left. */
export function retryDelayMs(attempt: number, s: RetrySettings, random: () => number = Math.random): number | null {
  if (attempt >= s.maxAttempts) return null;
  const base = Math.min(s.maxDelayMs, s.initialDelayMs * BACKOFF_FACTOR ** (attempt - 1));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}
