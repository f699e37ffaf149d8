/**
 * Prices of the voice endpoints (API.md): the voice changer (conversion, speech-to-speech) 3
 * credits per audio minute, speech translation 5, cloning 4 per 1,000 characters. Audio length
 * is known only after decoding, so a minute is reserved first (402 when even that is not covered)
 * and the real charge committed when the work succeeded; a failure or a client that left refunds
 * it all, as speech to text does (stt-charge.ts).
 */
import { creditsFor, type Charge } from '../accounts/billing.js';
import type { HttpExchange } from '../http/exchange.js';
import { callerOf } from './access.js';
import type { ApiContext } from './context.js';

export const VOICE_CHANGER_CREDITS_PER_MINUTE = 3;
export const SPEECH_TRANSLATE_CREDITS_PER_MINUTE = 5;
export const VOICE_CLONE_CREDITS_PER_1K_CHARS = 4;

export interface VoiceCharge {
  /** The work succeeded on `units` (minutes or thousands of characters): commit and return the credits used. */
  commit(units: number): Promise<{ used: number; remaining: number | null }>;
  refund(): Promise<void>;
}

/** Reserves `rate` credits (one unit) for the caller before the work starts. */
export async function reserveVoiceCharge(ctx: ApiContext, ex: HttpExchange, rate: number, note: string, chars = 0): Promise<VoiceCharge> {
  const charge: Charge = await ctx.accounts.billing.reserve(callerOf(ex), { credits: Math.max(rate, creditsFor(chars / 1000, rate)), chars, note, service: 'voice' });
  return {
    commit: async (units) => {
      const used = creditsFor(units, rate);
      return { used, remaining: await charge.commit(used) };
    },
    refund: () => charge.refund(ex.aborted ? 'cancelled by the client' : `${note} failed`),
  };
}
