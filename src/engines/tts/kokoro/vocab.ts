/**
 * Kokoro 82M v1.0's phoneme vocabulary and tokenizer.
 *
 * The table is the `vocab` of the model's config.json, as published with the weights
 * (huggingface.co/hexgrad/Kokoro-82M, config.json, `n_token: 178`) and shipped verbatim by
 * kokoro-onnx: github.com/thewh1teagle/kokoro-onnx, src/kokoro_onnx/config.json at commit
 * 2bfb160cfae06709a6d7c3d436293972e0f1d12f. 114 symbols; the gaps in the ids are the model's
 * own (ids it was trained with but no symbol maps to). Id 0 is the pad, used as BOS and EOS.
 *
 * Capital letters are misaki's one-symbol diphthongs and flaps (A = eɪ, I = aɪ, O = oʊ,
 * Q = əʊ, W = aʊ, Y = ɔɪ, T = flap); see ./phonemes.ts for how eSpeak's IPA reaches them.
 */

/** Id of the pad token the model expects at both ends of every sequence. */
export const PAD_TOKEN_ID = 0;

/** Most phoneme tokens one inference takes: the 512-position context less the two pads. */
export const MAX_PHONEME_TOKENS = 510;

/** Symbol -> token id, exactly as published. */
export const KOKORO_VOCAB: Readonly<Record<string, number>> = Object.freeze({
  ';': 1, ':': 2, ',': 3, '.': 4, '!': 5, '?': 6, '—': 9, '…': 10, '"': 11, '(': 12,
  ')': 13, '“': 14, '”': 15, ' ': 16, '\u0303': 17, 'ʣ': 18, 'ʥ': 19, 'ʦ': 20, 'ʨ': 21, 'ᵝ': 22,
  '\uab67': 23, 'A': 24, 'I': 25, 'O': 31, 'Q': 33, 'S': 35, 'T': 36, 'W': 39, 'Y': 41, 'ᵊ': 42,
  'a': 43, 'b': 44, 'c': 45, 'd': 46, 'e': 47, 'f': 48, 'h': 50, 'i': 51, 'j': 52, 'k': 53,
  'l': 54, 'm': 55, 'n': 56, 'o': 57, 'p': 58, 'q': 59, 'r': 60, 's': 61, 't': 62, 'u': 63,
  'v': 64, 'w': 65, 'x': 66, 'y': 67, 'z': 68, 'ɑ': 69, 'ɐ': 70, 'ɒ': 71, 'æ': 72, 'β': 75,
  'ɔ': 76, 'ɕ': 77, 'ç': 78, 'ɖ': 80, 'ð': 81, 'ʤ': 82, 'ə': 83, 'ɚ': 85, 'ɛ': 86, 'ɜ': 87,
  'ɟ': 90, 'ɡ': 92, 'ɥ': 99, 'ɨ': 101, 'ɪ': 102, 'ʝ': 103, 'ɯ': 110, 'ɰ': 111, 'ŋ': 112, 'ɳ': 113,
  'ɲ': 114, 'ɴ': 115, 'ø': 116, 'ɸ': 118, 'θ': 119, 'œ': 120, 'ɹ': 123, 'ɾ': 125, 'ɻ': 126, 'ʁ': 128,
  'ɽ': 129, 'ʂ': 130, 'ʃ': 131, 'ʈ': 132, 'ʧ': 133, 'ʊ': 135, 'ʋ': 136, 'ʌ': 138, 'ɣ': 139, 'ɤ': 140,
  'χ': 142, 'ʎ': 143, 'ʒ': 147, 'ʔ': 148, 'ˈ': 156, 'ˌ': 157, 'ː': 158, 'ʰ': 162, 'ʲ': 164, '↓': 169,
  '→': 171, '↗': 172, '↘': 173, 'ᵻ': 177,
});

const VOCAB = new Map<string, number>(Object.entries(KOKORO_VOCAB));

/** The token id of one symbol (one code point), or undefined when the model has none. */
export function tokenId(symbol: string): number | undefined {
  return VOCAB.get(symbol);
}

/**
 * Phoneme ids of a Kokoro phoneme string, one per code point, without the pads. Symbols the
 * vocabulary lacks are dropped, as every reference does (kokoro-onnx `Tokenizer.tokenize`,
 * hexgrad/kokoro `KModel.forward`: `filter(None, map(vocab.get, phonemes))`).
 */
export function tokenize(phonemes: string): number[] {
  const ids: number[] = [];
  for (const symbol of phonemes) {
    const id = VOCAB.get(symbol);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/**
 * The model's input sequence for phoneme ids: `[0, ...ids, 0]` (kokoro-onnx
 * `Kokoro._create_audio`, hexgrad/kokoro `KModel.forward`). Throws when the ids exceed what one
 * inference takes; ./chunks.ts cuts longer input first.
 */
export function withPads(ids: readonly number[]): number[] {
  if (ids.length > MAX_PHONEME_TOKENS) {
    throw new RangeError(`Kokoro takes at most ${MAX_PHONEME_TOKENS} phoneme tokens per inference, got ${ids.length}`);
  }
  return [PAD_TOKEN_ID, ...ids, PAD_TOKEN_ID];
}

/** Keeps only the symbols the vocabulary has (kokoro-onnx `Tokenizer.phonemize` does the same). */
export function keepVocabSymbols(phonemes: string): string {
  let kept = '';
  for (const symbol of phonemes) if (VOCAB.has(symbol)) kept += symbol;
  return kept;
}
