/**
 * What every TTS endpoint does between parsing and synthesis for the caller's account: add the
 * account's saved pronunciations, plan, check the plan's text and model limits, and reserve the
 * charge. `settleStream` then commits the charge when the audio was delivered and refunds it when
 * the synthesis failed or the client left.
 */
import type { Charge } from '../accounts/billing.js';
import type { Caller } from '../accounts/gate.js';
import type { ModelTier } from '../accounts/plans.js';
import { MODEL_CATALOGUE } from '../engines/tts/catalogue.js';
import type { HttpExchange } from '../http/exchange.js';
import type { PlannedSpeech } from '../tts/plan.js';
import type { SpeechSpec } from '../tts/speech-spec.js';
import type { PronunciationRule } from '../text/pronunciations.js';
import { callerOf } from './access.js';
import type { ApiContext } from './context.js';
import type { StreamOptions } from './speech-stream.js';
import { dictionaryOwner } from './pronunciations.js';

export interface ChargedSpeech {
  caller: Caller;
  planned: PlannedSpeech;
  charge: Charge;
}

/** A model the catalogue does not know is priced and gated as premium, never as free. */
export function tierOf(model: string): ModelTier {
  return MODEL_CATALOGUE.find((m) => m.id === model)?.tier ?? 'premium';
}

/** The caller's saved pronunciations as rules: one store read, made once per request (a batch's items share it). */
export async function savedPronunciationsOf(ctx: ApiContext, caller: Caller): Promise<PronunciationRule[]> {
  const owner = dictionaryOwner(caller);
  if (owner === null) return [];
  const saved = await ctx.accounts.pronunciations.list(owner);
  return saved.map(({ word, replacement, caseSensitive, language }) => (language ? { word, replacement, caseSensitive, language } : { word, replacement, caseSensitive }));
}

/** `saved` added to `spec`, first, so the request's own entries win. */
export function withSavedPronunciations(saved: readonly PronunciationRule[], spec: SpeechSpec): SpeechSpec {
  return saved.length === 0 ? spec : { ...spec, pronunciations: [...saved, ...spec.pronunciations] };
}

/**
 * Plans `spec` for the caller of `ex` and reserves its charge (402/403/429 before any work).
 * `ref` names the reservation on the ledger (a queued job's uuid). In cluster mode an anonymous
 * caller's characters are counted on Redis (`ctx.sharedGate`), exact across nodes.
 */
export async function chargeSpeech(ctx: ApiContext, ex: HttpExchange, spec: SpeechSpec, ref?: string): Promise<ChargedSpeech> {
  const caller = callerOf(ex);
  const planned = ctx.tts.plan(withSavedPronunciations(await savedPronunciationsOf(ctx, caller), spec));
  const { billing } = ctx.accounts;
  billing.checkTts(caller, planned.chars, tierOf(planned.spec.model), planned.spec.model);
  const req = { credits: planned.creditsUsed, chars: planned.chars, note: `tts ${planned.spec.model}, ${planned.chars} chars`, service: 'tts' as const, ref };
  const charge = ctx.sharedGate ? await ctx.sharedGate.reserveChars(caller, req, () => billing.reserve(caller, req)) : await billing.reserve(caller, req);
  return { caller, planned, charge };
}

/** The options of a charged stream: the balance to report, and its time to first audio for `/metrics` under `endpoint`. */
export function streamOptions(ctx: ApiContext, charge: Charge, endpoint: string): StreamOptions {
  return { creditsRemaining: charge.creditsRemaining, onFirstAudio: (seconds) => ctx.metrics.firstAudio(endpoint, seconds) };
}

/** Runs a stream and settles its charge by the outcome. */
export async function settleStream(ex: HttpExchange, charge: Charge, stream: Promise<boolean>): Promise<void> {
  let delivered = false;
  try {
    delivered = await stream;
  } finally {
    if (delivered) await charge.commit();
    else await charge.refund(ex.aborted ? 'cancelled by the client' : 'synthesis failed');
  }
}
