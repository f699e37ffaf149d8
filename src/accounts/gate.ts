/**
 * Who is calling and whether they may: the key (or its absence) becomes a `Caller`, and each
 * request is counted against the caller's plan (requests per minute, requests in progress).
 * Transport-free, so HTTP routes and WebSocket upgrades share one set of rules; `src/api/access.ts`
 * adapts it to the HTTP layer.
 */
import { ApiError } from '../errors.js';
import type { AccountStore, KeyStore } from './account-store.js';
import { looksLikeApiKey } from './api-key.js';
import type { AuthModeSwitch } from './auth-mode.js';
import type { LimitStore, WindowState } from './limit-store.js';
import { ANONYMOUS_PLAN, DEFAULT_ACCOUNT_PLAN, type Plan } from './plans.js';

export type Caller =
  | { kind: 'open' }
  | { kind: 'anonymous'; ip: string; plan: Plan }
  | { kind: 'account'; accountId: string; plan: Plan };

/** `public`: anyone, uncounted; `anonymous`: anyone, counted (the free tier); `account`: a key is required. */
export type AccessPolicy = 'public' | 'anonymous' | 'account';

/** One admitted request: its rate-limit headers, and `release()` for its concurrency slot (idempotent). */
export interface Admission {
  caller: Caller;
  headers: Record<string, string>;
  release(): void;
}

export const MINUTE_MS = 60_000;
/** A full concurrency slot frees when some request ends; a second is a fair first retry. */
export const CONCURRENCY_RETRY_AFTER_SEC = 1;

export interface GateDeps {
  accounts: AccountStore;
  keys: KeyStore;
  limits: LimitStore;
  plans: ReadonlyMap<string, Plan>;
  mode: AuthModeSwitch;
  now?: () => number;
}

export class AccessGate {
  private readonly now: () => number;

  constructor(private readonly deps: GateDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The caller behind `key` (null: none was sent) from `ip`; 401 for a key we do not know. */
  async identify(key: string | null, ip: string): Promise<Caller> {
    if ((await this.deps.mode.mode()) === 'open') return { kind: 'open' };
    if (key === null) return { kind: 'anonymous', ip, plan: this.plan(ANONYMOUS_PLAN) };
    const accountId = looksLikeApiKey(key) ? await this.deps.keys.accountOf(key) : undefined;
    if (accountId === undefined) throw new ApiError('invalid_api_key', 'Invalid API key: it is unknown or has been revoked');
    const account = await this.deps.accounts.get(accountId);
    return { kind: 'account', accountId, plan: this.plan(account?.plan ?? DEFAULT_ACCOUNT_PLAN) };
  }

  /**
   * Counts one request of `caller` under `policy`, or throws 401/429. Every counted request holds
   * a concurrency slot until `release()`. A refused request counts nothing.
   */
  admit(caller: Caller, policy: AccessPolicy): Admission {
    if (caller.kind === 'open') return { caller, headers: {}, release: () => {} };
    if (policy === 'account' && caller.kind === 'anonymous') {
      throw new ApiError('missing_api_key', 'This endpoint needs an API key: send "Authorization: Bearer sk-tts-…"');
    }
    const key = limitKey(caller);
    const { plan } = caller;
    const now = this.now();
    if (policy === 'public') {
      return { caller, headers: rateHeaders(this.deps.limits.peek(key, plan.requestsPerMinute, MINUTE_MS, now)), release: () => {} };
    }
    // The slot first: a request refused for concurrency then leaves the minute's count untouched.
    const slot = this.holdSlot(caller);
    const window = this.deps.limits.take(key, 1, plan.requestsPerMinute, MINUTE_MS, now);
    const headers = rateHeaders(window);
    if (!window.allowed) {
      slot.release();
      throw new ApiError('rate_limit_exceeded', `Rate limit of ${plan.requestsPerMinute} requests per minute reached (plan ${plan.name})`, null, {
        headers: { ...headers, 'Retry-After': String(Math.max(1, Math.ceil(window.resetMs / 1000))) },
      });
    }
    return { ...slot, headers };
  }

  /**
   * Takes one of the plan's concurrency slots without counting a request (a live session holds
   * one from open to close); 429 when all are held.
   */
  holdSlot(caller: Caller): Admission {
    if (caller.kind === 'open') return { caller, headers: {}, release: () => {} };
    const key = limitKey(caller);
    const { plan } = caller;
    if (!this.deps.limits.acquire(key, plan.concurrent)) {
      throw new ApiError('too_many_concurrent_requests', `At most ${plan.concurrent} requests may be in progress at once (plan ${plan.name})`, null, {
        headers: { ...rateHeaders(this.deps.limits.peek(key, plan.requestsPerMinute, MINUTE_MS, this.now())), 'Retry-After': String(CONCURRENCY_RETRY_AFTER_SEC) },
      });
    }
    let held = true;
    return {
      caller,
      headers: {},
      release: () => {
        if (!held) return;
        held = false;
        this.deps.limits.release(key);
      },
    };
  }

  private plan(name: string): Plan {
    // An account on a plan the config no longer has gets the free plan rather than no limits.
    return this.deps.plans.get(name) ?? this.deps.plans.get(DEFAULT_ACCOUNT_PLAN)!;
  }
}

/** The counter key of a caller: per account, or per client IP for anonymous callers. */
export function limitKey(caller: Exclude<Caller, { kind: 'open' }>): string {
  return caller.kind === 'account' ? `account:${caller.accountId}` : `ip:${caller.ip}`;
}

export function rateHeaders(w: WindowState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(w.limit),
    'X-RateLimit-Remaining': String(w.remaining),
    'X-RateLimit-Reset': String(Math.max(0, Math.ceil(w.resetMs / 1000))),
  };
}
