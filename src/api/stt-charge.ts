/**
 * Speech to text is priced per audio minute (API.md: 2 credits), and the length is known only
 * once the upload is decoded. So one minute is reserved before the work (402 when even that is
 * not covered), and the real charge is committed when the transcript is ready, or everything is
 * refunded when transcription fails or the client leaves. A long file may take the balance below
 * zero by what it cost beyond that minute; the next paid request then gets 402.
 */
import { creditsFor, STT_CREDITS_PER_MINUTE } from '../accounts/billing.js';
import type { HttpExchange } from '../http/exchange.js';
import type { SttService } from '../stt/service.js';
import { callerOf } from './access.js';
import type { ApiContext } from './context.js';

export interface ChargedTranscriber {
  transcribe: SttService['transcribe'];
  /** After `transcribe` resolved: what it cost and the balance left (null without a ledger). */
  readonly credits: { used: number; remaining: number | null };
}

export function chargedTranscriber(ctx: ApiContext, ex: HttpExchange, stt: SttService): ChargedTranscriber {
  const credits = { used: 0, remaining: null as number | null };
  return {
    credits,
    transcribe: async (audio, opts, signal) => {
      const charge = await ctx.accounts.billing.reserve(callerOf(ex), { credits: STT_CREDITS_PER_MINUTE, chars: 0, note: 'speech to text', service: 'stt' });
      try {
        const t = await stt.transcribe(audio, opts, signal);
        credits.used = creditsFor(t.durationSec / 60, STT_CREDITS_PER_MINUTE);
        credits.remaining = await charge.commit(credits.used);
        return t;
      } catch (err) {
        void charge.refund(ex.aborted ? 'cancelled by the client' : 'transcription failed');
        throw err;
      }
    },
  };
}
