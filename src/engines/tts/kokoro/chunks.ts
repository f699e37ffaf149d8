/**
 * Cutting a Kokoro phoneme string into pieces the model takes in one inference.
 *
 * The input is the output of ./phonemes.ts: only vocabulary symbols, so one code point is one
 * token. A piece holds at most 510 tokens (the model's context less the two pads). Cuts fall
 * after punctuation, strongest first, as hexgrad/kokoro's `KPipeline.waterfall_last` does
 * (pipeline.py at commit dfb907a: `['!.?…', ':;', ',—']`, a closing `)` or `”` kept with the
 * punctuation before it); kokoro-onnx `_split_phonemes` likewise cuts at `.,!?;`. Where no
 * punctuation falls late enough, a piece ends at a word gap, and only a single run of 510
 * tokens without a space is cut mid-word.
 */
import { MAX_PHONEME_TOKENS } from './vocab.js';

/** Punctuation classes, strongest first (hexgrad/kokoro `waterfall_last`). */
const WATERFALL: readonly string[] = ['!.?…', ':;', ',—'];
/** Closers that stay with the punctuation before them (`waterfall_last`'s `bumps`). */
const BUMPS = ')”';
/**
 * Fewest tokens a short first piece may hold: a clause of two or three words. Shorter input
 * makes Kokoro rush or clip (its style rows for tiny lengths are trained on little data).
 */
export const MIN_FIRST_CHUNK_TOKENS = 12;

export interface ChunkOptions {
  /** Most tokens per piece; at most (and by default) 510. */
  maxTokens?: number;
  /**
   * Streaming: most tokens of the first piece, so audio starts sooner. The first piece then
   * ends at a punctuation mark after at least MIN_FIRST_CHUNK_TOKENS tokens when one falls
   * within this many, else at a word gap.
   */
  firstChunkMaxTokens?: number;
}

/** Where to end a piece of `symbols` that may hold `limit` tokens, at or after `minCut`. */
function cutPoint(symbols: readonly string[], limit: number, minCut: number): number {
  for (const marks of WATERFALL) {
    for (let i = limit - 1; i >= minCut - 1 && i >= 0; i--) {
      if (!marks.includes(symbols[i])) continue;
      let cut = i + 1;
      if (cut < limit && BUMPS.includes(symbols[cut])) cut++;
      return cut;
    }
  }
  // No punctuation late enough: the last word gap inside the limit, then a hard cut.
  for (let i = limit; i > 0; i--) if (symbols[i] === ' ') return i;
  return limit;
}

/**
 * Pieces of at most `maxTokens` tokens, in order, trimmed, none empty; their concatenation
 * (with the spaces at the cuts) is the input.
 */
export function chunkPhonemes(phonemes: string, options: ChunkOptions = {}): string[] {
  const maxTokens = options.maxTokens ?? MAX_PHONEME_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > MAX_PHONEME_TOKENS) {
    throw new RangeError(`maxTokens must be a whole number from 1 to ${MAX_PHONEME_TOKENS}, got ${maxTokens}`);
  }
  const first = options.firstChunkMaxTokens;
  if (first !== undefined && (!Number.isInteger(first) || first < 1)) {
    throw new RangeError(`firstChunkMaxTokens must be a whole number >= 1, got ${first}`);
  }
  let symbols = Array.from(phonemes.trim());
  const pieces: string[] = [];
  while (symbols.length > 0) {
    const isFirst = pieces.length === 0 && first !== undefined;
    const limit = isFirst ? Math.min(first, maxTokens) : maxTokens;
    if (symbols.length <= limit) {
      pieces.push(symbols.join(''));
      break;
    }
    // Regular pieces take the strongest break in their second half, so none comes out tiny;
    // a streaming first piece takes any break after a short clause.
    const minCut = isFirst ? Math.min(MIN_FIRST_CHUNK_TOKENS, limit) : Math.ceil(limit / 2);
    const cut = cutPoint(symbols, limit, minCut);
    const piece = symbols.slice(0, cut).join('').trim();
    if (piece !== '') pieces.push(piece);
    symbols = Array.from(symbols.slice(cut).join('').trim());
  }
  return pieces;
}
