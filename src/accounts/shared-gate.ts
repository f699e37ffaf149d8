/**
 * The access gate's admission with the counters in Redis (cluster mode), so a plan's requests per
 * minute and requests in progress hold for the account across every node, exactly: the same
 * rules, refusals and headers as `AccessGate.admit`, each counter operation one atomic script
 * (redis-limit-store.ts). A node that cannot reach Redis falls back to counting on its own
 * (`AccessGate`, in memory) rather than refusing every request: limits stay per node until Redis
 * is back, and streaming never depends on it.
 *
 * The anonymous tier's characters per day are counted here too (`reserveChars`), in day windows
 * on the Redis server's clock, so an address's allowance holds across nodes.
 */
import { ApiError } from '../errors.js';
import { charsCharge, dailyLimitExceeded, DAY_MS, type Charge, type ChargeRequest } from './billing.js';
import { CONCURRENCY_RETRY_AFTER_SEC, limitKey, MINUTE_MS, rateHeaders, type AccessGate, type AccessPolicy, type Admission, type Caller } from './gate.js';
import type { RedisLimitStore } from './redis-limit-store.js';

export class SharedGate {
  constructor(private readonly limits: RedisLimitStore, private readonly local: AccessGate) {}

  /** Whether the shared counters are reachable now (else every admission counts locally). */
  get ready(): boolean {
    return this.limits.ready;
  }

  /** `AccessGate.admit` on the shared counters; the local gate while Redis is unreachable. */
  async admit(caller: Caller, policy: AccessPolicy): Promise<Admission> {
    if (caller.kind === 'open' || !this.limits.ready) return this.local.admit(caller, policy);
    try {
      return await this.admitShared(caller, policy);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      return this.local.admit(caller, policy); // Redis went away mid-call
    }
  }

  private async admitShared(caller: Exclude<Caller, { kind: 'open' }>, policy: AccessPolicy): Promise<Admission> {
    if (policy === 'account' && caller.kind === 'anonymous') {
      throw new ApiError('missing_api_key', 'This endpoint needs an API key: send "Authorization: Bearer sk-tts-…"');
    }
    const key = limitKey(caller);
    const { plan } = caller;
    if (policy === 'public') return { caller, headers: rateHeaders(await this.limits.peek(key, plan.requestsPerMinute, MINUTE_MS)), release: () => {} };
    // The slot first: a request refused for concurrency then leaves the minute's count untouched.
    const holder = await this.limits.acquire(key, plan.concurrent);
    if (holder === null) {
      throw new ApiError('too_many_concurrent_requests', `At most ${plan.concurrent} requests may be in progress at once (plan ${plan.name})`, null, {
        headers: { ...rateHeaders(await this.limits.peek(key, plan.requestsPerMinute, MINUTE_MS)), 'Retry-After': String(CONCURRENCY_RETRY_AFTER_SEC) },
      });
    }
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      // A release that fails (Redis away) is ended by the slot's lease instead.
      this.limits.release(key, holder).catch(() => {});
    };
    try {
      const window = await this.limits.take(key, 1, plan.requestsPerMinute, MINUTE_MS);
      const headers = rateHeaders(window);
      if (!window.allowed) {
        throw new ApiError('rate_limit_exceeded', `Rate limit of ${plan.requestsPerMinute} requests per minute reached (plan ${plan.name})`, null, {
          headers: { ...headers, 'Retry-After': String(Math.max(1, Math.ceil(window.resetMs / 1000))) },
        });
      }
      return { caller, headers, release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * `Billing.reserve` for an anonymous caller's characters, on the shared day window: the same
   * 429 and refund as `local()` (the node's own count), which serves every other caller and any
   * call while Redis is unreachable.
   */
  async reserveChars(caller: Caller, req: ChargeRequest, local: () => Promise<Charge>): Promise<Charge> {
    if (caller.kind !== 'anonymous' || caller.plan.dailyChars === null || !this.limits.ready) return local();
    const daily = caller.plan.dailyChars;
    const key = `chars:${caller.ip}`;
    let w;
    try {
      w = await this.limits.take(key, req.chars, daily, DAY_MS);
    } catch {
      return local(); // Redis went away mid-call
    }
    if (!w.allowed) throw dailyLimitExceeded(daily, w);
    // A refund that fails (Redis away) leaves the characters spent for the day: never more than the limit.
    return charsCharge(req.credits, () => void this.limits.giveBack(key, req.chars, DAY_MS).catch(() => {}));
  }
}
