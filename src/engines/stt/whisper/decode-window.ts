/**
 * One 30 s window decoded at one temperature: `DecodingTask.run` of OpenAI's
 * `whisper/decoding.py` for a single audio, over the `WhisperModel` interface. Greedy
 * (temperature 0, beam 1), best-of-N sampling (temperature > 0) and beam search share the
 * loop; the KV cache is fed one token per row after the prompt, and reordered with the beams.
 */
import { deflateSync } from 'node:zlib';

import { createLogitFilters, logSoftmax, MAX_INITIAL_TIMESTAMP_S } from './logit-filters.js';
import type { DecoderCache, DecoderStep, EncodedAudio, WhisperModel } from './model.js';
import { TIMESTAMP_STEP_S } from './special-tokens.js';
import type { WhisperTokenizer } from './tokenizer.js';

export interface WindowDecodeOptions {
  /** `[sot_prev, ...previous text]` (optional) + sot sequence: what the decoder is primed with. */
  initialTokens: readonly number[];
  temperature: number;
  /** Beams at temperature 0; 1 = greedy. */
  beamSize: number;
  /** Independent samples at temperature > 0, the best kept. */
  bestOf: number;
  /** False when the sot sequence ends with `<|notimestamps|>`. */
  timestamps: boolean;
  /** Uniform [0, 1) source for sampling; seeded by the caller so runs repeat. */
  random: () => number;
  /** Checked before every decoding step (an AbortSignal, or a worker's cancel flag). */
  signal?: Pick<AbortSignal, 'throwIfAborted'>;
}

export interface WindowDecodeResult {
  /** Sampled tokens, from after the prompt up to (not including) EOT. */
  tokens: number[];
  text: string;
  avgLogprob: number;
  noSpeechProb: number;
  temperature: number;
  compressionRatio: number;
}

/** `utils.compression_ratio`: how repetitive a text is (zlib level 6, as Python's default). */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

/** The row `row`, last position, of a decoder step's logits (a copy the filters may mutate). */
function lastLogits(step: DecoderStep, row: number, nVocab: number): Float32Array {
  const start = (row * step.positions + step.positions - 1) * nVocab;
  return step.logits.slice(start, start + nVocab);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A draw from softmax(logits / temperature) (torch's Categorical). */
function sample(logits: Float32Array, temperature: number, random: () => number): number {
  const scaled = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) scaled[i] = logits[i] / temperature;
  const logprobs = logSoftmax(scaled);
  let r = random();
  for (let i = 0; i < logprobs.length; i++) {
    r -= Math.exp(logprobs[i]);
    if (r < 0) return i;
  }
  return argmax(logprobs);
}

/** Top `k` indices by value, highest first. */
function topK(values: Float64Array, k: number): number[] {
  const picked: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === -Infinity) continue;
    if (picked.length < k) {
      picked.push(i);
      picked.sort((a, b) => values[b] - values[a]);
    } else if (values[i] > values[picked[k - 1]]) {
      picked[k - 1] = i;
      picked.sort((a, b) => values[b] - values[a]);
    }
  }
  return picked;
}

/** Beam search's state across steps (`BeamSearchDecoder`, patience 1). */
class BeamState {
  readonly finished = new Map<string, { tokens: number[]; logprob: number }>();
  constructor(
    readonly beamSize: number,
    private readonly eot: number,
  ) {}

  /** Next rows, their sources in the current rows, and whether enough sequences finished. */
  update(rows: number[][], logits: Float32Array[], sums: number[]): { rows: number[][]; sources: number[]; done: boolean } {
    const scores = new Map<string, { tokens: number[]; logprob: number; source: number }>();
    rows.forEach((prefix, idx) => {
      const logprobs = logSoftmax(logits[idx]);
      for (const token of topK(logprobs, this.beamSize + 1)) {
        const tokens = [...prefix, token];
        scores.set(tokens.join(','), { tokens, logprob: sums[idx] + logprobs[token], source: idx });
      }
    });
    const next: number[][] = [];
    const sources: number[] = [];
    const newlyFinished: { key: string; tokens: number[]; logprob: number }[] = [];
    for (const [key, candidate] of [...scores].sort((a, b) => b[1].logprob - a[1].logprob)) {
      if (candidate.tokens[candidate.tokens.length - 1] === this.eot) {
        newlyFinished.push({ key, ...candidate });
      } else {
        sums[next.length] = candidate.logprob;
        next.push(candidate.tokens);
        sources.push(candidate.source);
        if (next.length === this.beamSize) break;
      }
    }
    for (const f of newlyFinished) {
      if (this.finished.size >= this.beamSize) break;
      this.finished.set(f.key, { tokens: f.tokens, logprob: f.logprob });
    }
    return { rows: next, sources, done: this.finished.size >= this.beamSize };
  }

  /** `finalize`: unfinished beams fill the candidates up to the beam size, best first. */
  candidates(rows: number[][], sums: number[]): { tokens: number[]; logprob: number }[] {
    const order = rows.map((_, i) => i).sort((a, b) => sums[b] - sums[a]);
    for (const i of order) {
      if (this.finished.size >= this.beamSize) break;
      const tokens = [...rows[i], this.eot];
      this.finished.set(tokens.join(','), { tokens, logprob: sums[i] });
    }
    return [...this.finished.values()];
  }
}

/** The probability of `<|nospeech|>` at the sot position, read from the first step. */
function noSpeechProbability(step: DecoderStep, sotIndex: number, noSpeech: number, nVocab: number): number {
  const start = sotIndex * nVocab;
  const logprobs = logSoftmax(step.logits.slice(start, start + nVocab));
  return Math.exp(logprobs[noSpeech]);
}

export async function decodeWindow(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  audio: EncodedAudio,
  options: WindowDecodeOptions,
): Promise<WindowDecodeResult> {
  const { nTextCtx, nVocab } = model.dims;
  const s = tokenizer.special;
  const sampleBegin = options.initialTokens.length;
  const sotIndex = options.initialTokens.indexOf(s.sot);
  const sampling = options.temperature > 0;
  const group = Math.max(1, sampling ? options.bestOf : options.beamSize);
  const beam = !sampling && group > 1 ? new BeamState(group, s.eot) : null;
  const filters = createLogitFilters(tokenizer, {
    sampleBegin,
    timestamps: options.timestamps,
    maxInitialTimestampIndex: Math.round(MAX_INITIAL_TIMESTAMP_S / TIMESTAMP_STEP_S),
  });
  const sampleLen = Math.floor(nTextCtx / 2);

  let rows: number[][] = Array.from({ length: group }, () => [...options.initialTokens]);
  const sums = new Array<number>(group).fill(0);
  let step = await model.decode(audio, rows, null);
  let cache: DecoderCache = step.cache;
  const noSpeechProb = noSpeechProbability(step, sotIndex, s.noSpeech, nVocab);

  for (let i = 0; i < sampleLen; i++) {
    options.signal?.throwIfAborted();
    const logits = rows.map((tokens, row) => {
      const l = lastLogits(step, row, nVocab);
      filters.apply(l, tokens);
      return l;
    });
    let done: boolean;
    if (beam) {
      const next = beam.update(rows, logits, sums);
      rows = next.rows;
      cache = model.selectRows(cache, next.sources);
      done = next.done;
    } else {
      rows = rows.map((tokens, row) => {
        const last = tokens[tokens.length - 1];
        if (last === s.eot) return [...tokens, s.eot];
        const token = sampling ? sample(logits[row], options.temperature, options.random) : argmax(logits[row]);
        sums[row] += logSoftmax(logits[row])[token];
        return [...tokens, token];
      });
      done = rows.every((tokens) => tokens[tokens.length - 1] === s.eot);
    }
    if (done || rows[0].length > nTextCtx) break;
    step = await model.decode(audio, rows.map((tokens) => [tokens[tokens.length - 1]]), cache);
    cache = step.cache;
  }

  const candidates = beam ? beam.candidates(rows, sums) : rows.map((tokens, i) => ({ tokens: [...tokens, s.eot], logprob: sums[i] }));
  const sampled = candidates.map((c) => {
    const body = c.tokens.slice(sampleBegin);
    const end = body.indexOf(s.eot);
    return { tokens: end < 0 ? body : body.slice(0, end), logprob: c.logprob };
  });
  // MaximumLikelihoodRanker without a length penalty: log probability per token.
  const best = sampled.reduce((a, b) => (b.logprob / Math.max(1, b.tokens.length) > a.logprob / Math.max(1, a.tokens.length) ? b : a));
  const text = tokenizer.decode(best.tokens).trim();
  return {
    tokens: best.tokens,
    text,
    avgLogprob: best.logprob / (best.tokens.length + 1),
    noSpeechProb,
    temperature: options.temperature,
    compressionRatio: compressionRatio(text),
  };
}

/** `detect_language`: the likeliest language token after `<|startoftranscript|>` alone. */
export async function detectLanguage(model: WhisperModel, tokenizer: WhisperTokenizer, audio: EncodedAudio): Promise<string> {
  const step = await model.decode(audio, [[tokenizer.special.sot]], null);
  const logits = step.logits.subarray(0, model.dims.nVocab);
  let best: string | undefined;
  let bestLogit = -Infinity;
  for (const [code, id] of tokenizer.special.languages) {
    if (logits[id] > bestLogit) {
      bestLogit = logits[id];
      best = code;
    }
  }
  return best ?? 'en';
}
