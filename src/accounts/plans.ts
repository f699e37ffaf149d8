/**
 * Plans: what each kind of caller may do. The defaults are API.md's table; the config file's
 * `plans` object overrides any field of any plan, or adds a plan (fields it leaves out come from
 * `free`). `anonymous` is the plan of callers without a key, counted per client IP.
 */

export type ModelTier = 'free' | 'standard' | 'premium';

export interface Plan {
  name: string;
  requestsPerMinute: number;
  /** Requests and live sessions in progress at once. */
  concurrent: number;
  /** Longest `text` one TTS request may carry. */
  maxTextChars: number;
  /** Model tiers the plan may use. */
  tiers: ModelTier[];
  /** Credits granted once, when an account on this plan is created (free: 15,000 characters of free-tier speech). */
  grantCredits: number;
  /** Characters a day (UTC) per client IP; only the anonymous plan has it, paid plans pay in credits. */
  dailyChars: number | null;
}

export const ANONYMOUS_PLAN = 'anonymous';
export const DEFAULT_ACCOUNT_PLAN = 'free';

const ALL_TIERS: ModelTier[] = ['free', 'standard', 'premium'];

/** API.md's plan table. */
export const DEFAULT_PLANS: Readonly<Record<string, Plan>> = {
  anonymous: { name: 'anonymous', requestsPerMinute: 10, concurrent: 2, maxTextChars: 500, tiers: ['free'], grantCredits: 0, dailyChars: 5_000 },
  free: { name: 'free', requestsPerMinute: 10, concurrent: 2, maxTextChars: 500, tiers: ['free'], grantCredits: 15, dailyChars: null },
  starter: { name: 'starter', requestsPerMinute: 30, concurrent: 3, maxTextChars: 5_000, tiers: ['free', 'standard'], grantCredits: 0, dailyChars: null },
  pro: { name: 'pro', requestsPerMinute: 60, concurrent: 5, maxTextChars: 5_000, tiers: ALL_TIERS, grantCredits: 0, dailyChars: null },
  enterprise: { name: 'enterprise', requestsPerMinute: 300, concurrent: 20, maxTextChars: 50_000, tiers: ALL_TIERS, grantCredits: 0, dailyChars: null },
};

/** The config file's form: plan name -> fields to change, in the API's snake_case. */
export type PlanOverrides = Record<string, Partial<{
  requests_per_minute: number;
  concurrent: number;
  max_text_chars: number;
  tiers: ModelTier[];
  grant_credits: number;
  daily_chars: number | null;
}>>;

function positive(plan: string, field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`config: plans.${plan}.${field} must be a whole number >= 0`);
  return v;
}

/** The plans in force: defaults with `overrides` applied; throws on a malformed override. */
export function resolvePlans(overrides: PlanOverrides | null): Map<string, Plan> {
  const plans = new Map(Object.entries(DEFAULT_PLANS).map(([k, p]) => [k, { ...p, tiers: [...p.tiers] }]));
  for (const [name, o] of Object.entries(overrides ?? {})) {
    const p: Plan = { ...(plans.get(name) ?? { ...DEFAULT_PLANS.free!, grantCredits: 0 }), name };
    if (o.requests_per_minute !== undefined) p.requestsPerMinute = positive(name, 'requests_per_minute', o.requests_per_minute);
    if (o.concurrent !== undefined) p.concurrent = positive(name, 'concurrent', o.concurrent);
    if (o.max_text_chars !== undefined) p.maxTextChars = positive(name, 'max_text_chars', o.max_text_chars);
    if (o.grant_credits !== undefined) p.grantCredits = positive(name, 'grant_credits', o.grant_credits);
    if (o.daily_chars !== undefined) p.dailyChars = o.daily_chars === null ? null : positive(name, 'daily_chars', o.daily_chars);
    if (o.tiers !== undefined) {
      if (!Array.isArray(o.tiers) || o.tiers.some((t) => !ALL_TIERS.includes(t))) throw new Error(`config: plans.${name}.tiers must list some of ${ALL_TIERS.join(', ')}`);
      p.tiers = [...o.tiers];
    }
    plans.set(name, p);
  }
  return plans;
}
