/**
 * GPT-2 style byte-level BPE, the encoding of every Whisper vocabulary: text is split by GPT-2's
 * pre-tokenizer regex, each piece's UTF-8 bytes are mapped to printable characters
 * (`bytes_to_unicode`), and adjacent symbols are merged lowest rank first until none can be.
 * The rank of a pair comes from the vocabulary's source: a tiktoken rank file ranks the merged
 * token itself (tiktoken's `_byte_pair_merge`), a tokenizer.json ranks the pair by its line in
 * `merges`; both give the same ids for the vocabularies OpenAI and Hugging Face publish.
 */

/** The pre-tokenizer pattern of `get_encoding()` in whisper/tokenizer.py (GPT-2's). */
const PRE_TOKENIZER = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** How many pre-token encodings are remembered; past it the cache starts over (bounded memory). */
const MAX_CACHED_WORDS = 20_000;

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100 onwards. */
function buildByteMaps(): { byteToChar: string[]; charToByte: Map<string, number> } {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const byteToChar: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) byteToChar[b] = String.fromCodePoint(printable(b) ? b : 256 + next++);
  const charToByte = new Map(byteToChar.map((c, b) => [c, b] as const));
  return { byteToChar, charToByte };
}

const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteMaps();

/** Bytes as the byte-level alphabet's string: the form tokenizer.json vocabularies use. */
export function bytesToSymbols(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/** The inverse of bytesToSymbols; throws on a character outside the byte-level alphabet. */
export function symbolsToBytes(symbols: string, into: number[]): void {
  for (const c of symbols) {
    const b = CHAR_TO_BYTE.get(c);
    if (b === undefined) throw new Error(`not a byte-level BPE symbol: U+${c.codePointAt(0)!.toString(16)}`);
    into.push(b);
  }
}

export interface BpeVocabulary {
  /** Token (byte-level symbols) to id. */
  readonly ids: ReadonlyMap<string, number>;
  /** The rank of merging `left` + `right`, lower first; undefined when they never merge. */
  pairRank(left: string, right: string): number | undefined;
}

export class ByteLevelBpe {
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();

  constructor(private readonly vocab: BpeVocabulary) {}

  /** Text to ids, treating `<|...|>` like any other text (tiktoken's encode_ordinary). */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const match of text.matchAll(PRE_TOKENIZER)) ids.push(...this.encodeWord(match[0]));
    return ids;
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const symbols = [...bytesToSymbols(this.encoder.encode(word))];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.vocab.pairRank(symbols[i], symbols[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      symbols.splice(best, 2, symbols[best] + symbols[best + 1]);
    }
    const ids = symbols.map((s) => {
      const id = this.vocab.ids.get(s);
      if (id === undefined) throw new Error(`BPE symbol missing from the vocabulary: ${JSON.stringify(s)}`);
      return id;
    });
    if (this.cache.size >= MAX_CACHED_WORDS) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }
}
