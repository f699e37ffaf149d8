/**
 * The logit filters of OpenAI's `whisper/decoding.py`, applied in its order to one row of
 * next-token logits before a token is chosen: SuppressBlank, SuppressTokens (the non-speech
 * symbols plus the task/prompt specials) and ApplyTimestampRules. They are what keeps the
 * decoder from emitting `♪`, speaker tags or out-of-order timestamps, so they are ported
 * rule for rule rather than approximated.
 */
import type { WhisperTokenizer } from './tokenizer.js';

/** Filters for one decoding run; `apply` mutates the logits row in place. */
export interface LogitFilterSet {
  apply(logits: Float32Array, tokens: readonly number[]): void;
}

export interface LogitFilterOptions {
  /** Index of the first sampled token (after the prompt and sot sequence). */
  sampleBegin: number;
  /** False when the prompt ends with `<|notimestamps|>`. */
  timestamps: boolean;
  /** `max_initial_timestamp` in timestamp steps (1.0 s / 0.02 s = 50); null for none. */
  maxInitialTimestampIndex: number | null;
}

/** `max_initial_timestamp` default of DecodingOptions: the first segment starts within 1 s. */
export const MAX_INITIAL_TIMESTAMP_S = 1.0;

/** tokenizer.py's `non_speech_tokens`: symbols suppressed so sound-effect captions are not sampled. */
export function nonSpeechTokens(tokenizer: WhisperTokenizer): number[] {
  const symbols = [...'"#()*+/:;<=>@[\\]^_`{|}~「」『』'];
  symbols.push(...'<< >> <<< >>> -- --- -( -[ (\' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪'.split(' '));
  // U+2640..U+267F share their first two UTF-8 bytes, so suppressing the first token is safe.
  const miscellaneous = new Set([...'♩♪♫♬♭♮♯']);
  // Hyphens and apostrophes stay allowed between words, not at the start of one.
  const result = new Set([tokenizer.encode(' -')[0], tokenizer.encode(" '")[0]]);
  for (const symbol of [...symbols, ...miscellaneous]) {
    for (const ids of [tokenizer.encode(symbol), tokenizer.encode(' ' + symbol)]) {
      if (ids.length === 1 || miscellaneous.has(symbol)) result.add(ids[0]);
    }
  }
  return [...result].sort((a, b) => a - b);
}

/** `_get_suppress_tokens` with the default `suppress_tokens="-1"`. */
export function suppressedTokens(tokenizer: WhisperTokenizer): number[] {
  const s = tokenizer.special;
  const ids = new Set([...nonSpeechTokens(tokenizer), s.transcribe, s.translate, s.sot, s.sotPrev, s.sotLm, s.noSpeech]);
  return [...ids].sort((a, b) => a - b);
}

export function createLogitFilters(tokenizer: WhisperTokenizer, options: LogitFilterOptions): LogitFilterSet {
  const s = tokenizer.special;
  const blank = [...tokenizer.encode(' '), s.eot];
  const suppress = suppressedTokens(tokenizer);
  const { sampleBegin, timestamps, maxInitialTimestampIndex } = options;
  return {
    apply(logits, tokens) {
      if (tokens.length === sampleBegin) for (const id of blank) logits[id] = -Infinity;
      for (const id of suppress) if (id < logits.length) logits[id] = -Infinity;
      if (timestamps) applyTimestampRules(logits, tokens, sampleBegin, s.timestampBegin, s.eot, s.noTimestamps, maxInitialTimestampIndex);
    },
  };
}

function fill(logits: Float32Array, from: number, to: number): void {
  logits.fill(-Infinity, Math.max(0, from), Math.min(logits.length, to));
}

/** ApplyTimestampRules.apply for one row. */
function applyTimestampRules(
  logits: Float32Array,
  tokens: readonly number[],
  sampleBegin: number,
  timestampBegin: number,
  eot: number,
  noTimestamps: number,
  maxInitialTimestampIndex: number | null,
): void {
  logits[noTimestamps] = -Infinity;
  const sampled = tokens.slice(sampleBegin);
  const n = sampled.length;
  const lastWasTimestamp = n >= 1 && sampled[n - 1] >= timestampBegin;
  const penultimateWasTimestamp = n < 2 || sampled[n - 2] >= timestampBegin;
  // Timestamps come in pairs, except directly before EOT.
  if (lastWasTimestamp) {
    if (penultimateWasTimestamp) fill(logits, timestampBegin, logits.length);
    else fill(logits, 0, eot);
  }
  let lastTimestamp = -1;
  for (const t of sampled) if (t >= timestampBegin) lastTimestamp = t;
  if (lastTimestamp >= 0) {
    // Timestamps never decrease, and a segment has a nonzero length (else decoding can loop).
    const limit = lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    fill(logits, timestampBegin, limit);
  }
  if (tokens.length === sampleBegin) {
    fill(logits, 0, timestampBegin);
    if (maxInitialTimestampIndex !== null) fill(logits, timestampBegin + maxInitialTimestampIndex + 1, logits.length);
  }
  // When the timestamps together outweigh the likeliest text token, a timestamp is sampled.
  const logprobs = logSoftmax(logits);
  let maxText = -Infinity;
  for (let i = 0; i < timestampBegin; i++) if (logprobs[i] > maxText) maxText = logprobs[i];
  if (logSumExp(logprobs, timestampBegin, logprobs.length) > maxText) fill(logits, 0, timestampBegin);
}

/** log_softmax in float64 accumulation; -Infinity entries stay -Infinity. */
export function logSoftmax(logits: Float32Array): Float64Array {
  const out = new Float64Array(logits.length);
  const lse = logSumExp(logits, 0, logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

export function logSumExp(values: ArrayLike<number>, from: number, to: number): number {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}
