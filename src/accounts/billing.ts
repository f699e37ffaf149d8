/**
 * Charging for work: plan checks before any work, then a reservation (the ledger for accounts,
 * the day's character allowance for anonymous callers) that the caller settles once the work
 * has succeeded or failed. Open mode charges nothing and reports no balance.
 *
 * Prices are API.md's: TTS credits per 1,000 characters by model tier, speech to text 2 credits
 * per audio minute, a voice chat turn 3 credits; a charge is ceil(units × rate), at least 1.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Caller } from './gate.js';
import type { LedgerStore } from './ledger.js';
import type { LimitStore } from './limit-store.js';
import type { ModelTier } from './plans.js';

export const DAY_MS = 24 * 3600_000;

/** API.md: speech to text costs 2 credits per audio minute. */
export const STT_CREDITS_PER_MINUTE = 2;
/** API.md: a voice chat turn costs 3 credits, whatever its length. */
export const VOICE_CHAT_CREDITS_PER_TURN = 3;

/** API.md's rounding: ceil(units × rate), at least 1 for a paid service. */
export function creditsFor(units: number, rate: number): number {
  return Math.max(1, Math.ceil(units * rate));
}

/** A reservation being held for one piece of work. Settling twice does nothing. */
export interface Charge {
  readonly creditsUsed: number;
  /** The balance after the reservation; null for callers without a ledger (open mode, anonymous). */
  readonly creditsRemaining: number | null;
  /** The work succeeded; `actual` (default: the reserved credits) is the real charge. Returns the balance after. */
  commit(actual?: number): Promise<number | null>;
  /**
   * The work failed or was cancelled: everything reserved is given back. Never rejects, so it can
   * be left running from cleanup paths: a refund the ledger could not take leaves the reservation
   * held (visible in the ledger) rather than failing the response.
   */
  refund(reason: string): Promise<void>;
}

/** What a charge pays for, as `/metrics` labels credits spent. */
export type BilledService = 'tts' | 'stt' | 'voice_chat' | 'live' | 'voice' | 'audio_tools';

export interface ChargeRequest {
  credits: number;
  service: BilledService;
  /** Characters of text, counted against an anonymous caller's daily allowance. */
  chars: number;
  /** What the charge is for, kept on the ledger row. */
  note: string;
  /** The ledger reference (a job's uuid, so it can be settled after a restart); default a fresh uuid. */
  ref?: string;
}

export interface BillingOptions {
  now?: () => number;
  /** Told of every committed charge of an account (for `/metrics`). */
  onSpent?: (credits: number, service: BilledService) => void;
}

export class Billing {
  private readonly now: () => number;

  constructor(private readonly ledger: LedgerStore, private readonly limits: LimitStore, private readonly opts: BillingOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** 403 when `caller`'s plan does not allow `chars` of text or the model's `tier`. */
  checkTts(caller: Caller, chars: number, tier: ModelTier, model: string): void {
    if (caller.kind === 'open') return;
    const { plan } = caller;
    if (chars > plan.maxTextChars) {
      throw new ApiError('plan_not_allowed', `text has ${chars} characters; plan ${plan.name} allows at most ${plan.maxTextChars} per request`, 'text');
    }
    if (!plan.tiers.includes(tier)) {
      throw new ApiError('plan_not_allowed', `Model ${model} is a ${tier}-tier model; plan ${plan.name} allows ${plan.tiers.join(', ')}${caller.kind === 'anonymous' ? ' (send an API key for more)' : ''}`, 'model');
    }
  }

  /** Reserves the charge of one piece of work; 402 (accounts) or 429 (anonymous daily characters) when short. */
  async reserve(caller: Caller, req: ChargeRequest): Promise<Charge> {
    if (caller.kind === 'open') return settled(req.credits, null);
    if (caller.kind === 'anonymous') return this.reserveAnonymous(caller, req);
    const ref = req.ref ?? randomUUID();
    const held = await this.ledger.reserve(caller.accountId, req.credits, ref, req.note);
    if (!held.ok) {
      throw new ApiError('insufficient_credits', `This request costs ${req.credits} credits and the balance is ${held.balance}`);
    }
    const ledger = this.ledger;
    return {
      creditsUsed: req.credits,
      creditsRemaining: held.balance,
      commit: async (actual) => {
        const balance = await ledger.commit(ref, actual);
        if (balance !== null) this.opts.onSpent?.(actual ?? req.credits, req.service);
        return balance;
      },
      refund: (reason) => ledger.refund(ref, reason).then(() => {}, () => {}),
    };
  }

  /** The current balance of an account caller; null for the others. */
  async balance(caller: Caller): Promise<number | null> {
    return caller.kind === 'account' ? this.ledger.balance(caller.accountId) : null;
  }

  /**
   * Settles a charge by its ledger reference when the `Charge` object is gone (a queued job
   * finishing after a restart); does nothing for a reference that is settled or was never reserved.
   */
  async settle(ref: string, ok: boolean, reason: string): Promise<void> {
    if (ok) await this.ledger.commit(ref);
    else await this.ledger.refund(ref, reason);
  }

  /**
   * Commits `actual` credits of the reservation `ref` when its `Charge` is on another node (a
   * queued audio job); the balance after, or null when `ref` was already settled.
   */
  async commitRef(ref: string, actual: number, service: BilledService): Promise<number | null> {
    const balance = await this.ledger.commit(ref, actual);
    if (balance !== null) this.opts.onSpent?.(actual, service);
    return balance;
  }

  private reserveAnonymous(caller: Extract<Caller, { kind: 'anonymous' }>, req: ChargeRequest): Charge {
    const daily = caller.plan.dailyChars;
    if (daily === null) return settled(req.credits, null);
    const key = `chars:${caller.ip}`;
    const now = this.now();
    const w = this.limits.take(key, req.chars, daily, DAY_MS, now);
    if (!w.allowed) throw dailyLimitExceeded(daily, w);
    return charsCharge(req.credits, () => this.limits.giveBack(key, req.chars, DAY_MS, now));
  }
}

/** The anonymous tier's refusal once an address has spent its characters for the day. */
export function dailyLimitExceeded(daily: number, window: { remaining: number; resetMs: number }): ApiError {
  return new ApiError('daily_limit_exceeded', `Anonymous use is limited to ${daily} characters a day per address; ${window.remaining} are left today. Use an API key for more.`, null, {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(window.resetMs / 1000))) },
  });
}

/**
 * A charge of characters, not credits (the anonymous tier): committing keeps them spent, a
 * refund gives them back once (`giveBack`), and neither touches a ledger.
 */
export function charsCharge(creditsUsed: number, giveBack: () => void): Charge {
  let open = true;
  return {
    creditsUsed,
    creditsRemaining: null,
    commit: async () => {
      open = false;
      return null;
    },
    refund: async () => {
      if (!open) return;
      open = false;
      giveBack();
    },
  };
}

function settled(creditsUsed: number, creditsRemaining: number | null): Charge {
  return { creditsUsed, creditsRemaining, commit: async () => creditsRemaining, refund: async () => {} };
}
