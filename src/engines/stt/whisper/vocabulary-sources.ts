/**
 * The two forms Whisper vocabularies ship in, read into one BpeVocabulary:
 * - OpenAI's tiktoken rank files (`whisper/assets/multilingual.tiktoken`, `gpt2.tiktoken`):
 *   one `base64(token bytes) rank` per line; the rank is the id, and tiktoken merges a pair
 *   when the concatenation is itself a token, lowest rank first.
 * - Hugging Face `tokenizer.json` (the `openai/whisper-*` and `onnx-community/whisper-*`
 *   repositories): `model.vocab` (byte-level symbols to id), `model.merges` (pairs, highest
 *   priority first, as "a b" strings or, in newer files, ["a", "b"] arrays) and `added_tokens`
 *   (the special tokens with their ids).
 */
import { z } from 'zod';
import { bytesToSymbols, type BpeVocabulary } from './byte-level-bpe.js';

export interface LoadedVocabulary {
  bpe: BpeVocabulary;
  /** id to byte-level symbols, for the ordinary (non-special) tokens. */
  symbols: Map<number, string>;
  /** `<|endoftext|>`'s id: one past the ordinary tokens, where the special tokens begin. */
  eot: number;
  /** Special tokens the file itself declares (tokenizer.json only), content to id. */
  declaredSpecials: Map<string, number>;
}

/** A tiktoken rank file's text. The end of text is one past the highest rank, as `n_vocab = len(ranks)` there. */
export function vocabularyFromTiktoken(text: string): LoadedVocabulary {
  const ids = new Map<string, number>();
  const symbols = new Map<number, string>();
  let eot = 0;
  for (const [lineNo, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const [b64, rankText] = line.trim().split(/\s+/);
    const rank = Number(rankText);
    if (b64 === undefined || !Number.isInteger(rank) || rank < 0) throw new Error(`tiktoken rank file: bad line ${lineNo + 1}`);
    const token = bytesToSymbols(Buffer.from(b64, 'base64'));
    ids.set(token, rank);
    symbols.set(rank, token);
    eot = Math.max(eot, rank + 1);
  }
  return {
    bpe: { ids, pairRank: (left, right) => ids.get(left + right) },
    symbols,
    eot,
    declaredSpecials: new Map(),
  };
}

const TokenizerJsonSchema = z.object({
  added_tokens: z.array(z.object({ id: z.number().int().nonnegative(), content: z.string() })).default([]),
  model: z.object({
    type: z.literal('BPE').optional(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  }),
});

const SPECIAL_SHAPE = /^<\|.*\|>$/;

/** A Hugging Face tokenizer.json, parsed. `<|...|>` entries of `model.vocab` count as special. */
export function vocabularyFromTokenizerJson(json: unknown): LoadedVocabulary {
  const parsed = TokenizerJsonSchema.safeParse(json);
  if (!parsed.success) throw new Error(`tokenizer.json is not a BPE tokenizer: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const { added_tokens: added, model } = parsed.data;
  const declaredSpecials = new Map<string, number>();
  for (const { content, id } of added) declaredSpecials.set(content, id);
  const ids = new Map<string, number>();
  const symbols = new Map<number, string>();
  let ordinaryEnd = 0;
  for (const [token, id] of Object.entries(model.vocab)) {
    if (SPECIAL_SHAPE.test(token)) {
      declaredSpecials.set(token, id);
      continue;
    }
    ids.set(token, id);
    symbols.set(id, token);
    ordinaryEnd = Math.max(ordinaryEnd, id + 1);
  }
  const mergeRanks = new Map<string, number>();
  model.merges.forEach((merge, rank) => {
    const [left, right] = typeof merge === 'string' ? splitMerge(merge) : merge;
    // '\u0000' cannot occur in byte-level symbols, so it separates the pair unambiguously.
    if (!mergeRanks.has(`${left}\u0000${right}`)) mergeRanks.set(`${left}\u0000${right}`, rank);
  });
  const eot = declaredSpecials.get('<|endoftext|>') ?? ordinaryEnd;
  return {
    bpe: { ids, pairRank: (left, right) => mergeRanks.get(`${left}\u0000${right}`) },
    symbols,
    eot,
    declaredSpecials,
  };
}

function splitMerge(merge: string): [string, string] {
  const space = merge.indexOf(' ', 1);
  if (space < 0) throw new Error(`tokenizer.json: merge without a space: ${JSON.stringify(merge)}`);
  return [merge.slice(0, space), merge.slice(space + 1)];
}
