/**
 * Whisper's tokenizer, as OpenAI's whisper/tokenizer.py defines it, over either vocabulary form
 * the exports ship (vocabulary-sources.ts): byte-level BPE for text, the special tokens at the
 * ids get_encoding() gives them, the start-of-transcript prompt, decoding with timestamps, and
 * the splits into words that word-level timestamps are aligned on.
 */
import { ByteLevelBpe, symbolsToBytes } from './byte-level-bpe.js';
import { whisperLanguageCode } from './languages.js';
import { specialTokenTexts, TIMESTAMP_STEP_S, whisperSpecialTokens, type WhisperSpecialTokens } from './special-tokens.js';
import type { LoadedVocabulary } from './vocabulary-sources.js';

export type WhisperTask = 'transcribe' | 'translate';

export interface WhisperTokenizerOptions {
  /** 99 for every checkpoint but large-v3 / large-v3-turbo (100); see numLanguagesForVocabSize. */
  numLanguages: number;
  /**
   * False for the `.en` checkpoints, whose prompt is `<|startoftranscript|>` alone. Defaults to
   * whether the vocabulary is OpenAI's multilingual one (50257 ordinary tokens; GPT-2's has 50256).
   */
  multilingual?: boolean;
}

export interface SotOptions {
  /** A code or name; multilingual only, default 'en' as get_tokenizer() defaults it. */
  language?: string;
  task?: WhisperTask;
  timestamps: boolean;
}

/** GPT-2's ordinary vocabulary size: `<|endoftext|>` is 50256 there, 50257 in multilingual.tiktoken. */
const GPT2_ORDINARY_TOKENS = 50_256;
/** Python's string.punctuation, which split_tokens_on_spaces tests subwords against. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const REPLACEMENT_CHAR = '\ufffd';
/** Older Hugging Face exports name `<|nospeech|>` this way. */
const NOSPEECH_ALIASES = new Map([['<|nocaptions|>', '<|nospeech|>']]);

export class WhisperTokenizer {
  readonly special: WhisperSpecialTokens;
  readonly multilingual: boolean;
  private readonly bpe: ByteLevelBpe;
  private readonly specialText = new Map<number, string>();
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(private readonly vocab: LoadedVocabulary, options: WhisperTokenizerOptions) {
    this.special = whisperSpecialTokens(vocab.eot, options.numLanguages);
    this.multilingual = options.multilingual ?? vocab.eot > GPT2_ORDINARY_TOKENS;
    this.bpe = new ByteLevelBpe(vocab.bpe);
    const expected = specialTokenTexts(this.special);
    for (const [text, id] of expected) this.specialText.set(id, text);
    // A file that puts a special token elsewhere is not the vocabulary this model was trained on.
    for (const [declared, id] of vocab.declaredSpecials) {
      const want = expected.get(NOSPEECH_ALIASES.get(declared) ?? declared);
      if (want !== undefined && want !== id) {
        throw new Error(`tokenizer: ${declared} has id ${id}, Whisper's layout puts it at ${want} (numLanguages ${options.numLanguages})`);
      }
    }
  }

  /** Text to ordinary token ids (special-token text is encoded as plain text), for prompts. */
  encode(text: string): number[] {
    return this.bpe.encode(text);
  }

  /** Ids to text, special and timestamp tokens skipped: what a transcript shows. */
  decode(ids: readonly number[]): string {
    return this.bytesToText(ids.filter((id) => id < this.special.eot));
  }

  /** tokenizer.py's decode_with_timestamps: every token, specials as their `<|…|>` text. */
  decodeWithTimestamps(ids: readonly number[]): string {
    let text = '';
    let run: number[] = [];
    for (const id of ids) {
      const special = this.specialText.get(id);
      if (special === undefined) {
        run.push(id);
        continue;
      }
      text += this.bytesToText(run) + special;
      run = [];
    }
    return text + this.bytesToText(run);
  }

  /** A timestamp token's time in seconds within its 30 s window; undefined for other tokens. */
  timestampSeconds(id: number): number | undefined {
    const index = id - this.special.timestampBegin;
    if (index < 0 || id >= this.special.vocabSize) return undefined;
    return Math.round(index * TIMESTAMP_STEP_S * 100) / 100;
  }

  /** The language token's id, or undefined when this vocabulary has no such language. */
  languageToken(language: string): number | undefined {
    const code = whisperLanguageCode(language);
    return code === undefined ? undefined : this.special.languages.get(code);
  }

  /**
   * The decoder's prompt: `sot_sequence` of tokenizer.py, plus `<|notimestamps|>` when
   * timestamps are off (`sot_sequence_including_notimestamps`). English-only vocabularies have
   * no language or task token.
   */
  sotSequence({ language, task, timestamps }: SotOptions): number[] {
    const s = this.special;
    const sequence = [s.sot];
    if (this.multilingual) {
      const languageId = this.languageToken(language ?? 'en');
      if (languageId === undefined) throw new RangeError(`unsupported language: ${language}`);
      sequence.push(languageId, (task ?? 'transcribe') === 'transcribe' ? s.transcribe : s.translate);
    }
    if (!timestamps) sequence.push(s.noTimestamps);
    return sequence;
  }

  /**
   * split_tokens_on_unicode: tokens grouped so that each group decodes to whole characters
   * (a character split across tokens stays with its last token).
   */
  splitOnUnicode(ids: readonly number[]): { words: string[]; tokens: number[][] } {
    const full = Array.from(this.decodeWithTimestamps(ids));
    const words: string[] = [];
    const tokens: number[][] = [];
    let current: number[] = [];
    let offset = 0;
    for (const id of ids) {
      current.push(id);
      const decoded = Array.from(this.decodeWithTimestamps(current));
      const bad = decoded.indexOf(REPLACEMENT_CHAR);
      if (bad < 0 || full[offset + bad] === REPLACEMENT_CHAR) {
        words.push(decoded.join(''));
        tokens.push(current);
        current = [];
        offset += decoded.length;
      }
    }
    return { words, tokens };
  }

  /**
   * split_to_word_tokens: words for word-level timestamps. Languages written without spaces
   * split on characters; the rest join subwords until one starts with a space, is
   * punctuation, or is a special token.
   */
  splitToWords(ids: readonly number[], language?: string): { words: string[]; tokens: number[][] } {
    const code = language === undefined ? undefined : whisperLanguageCode(language);
    const sub = this.splitOnUnicode(ids);
    if (code !== undefined && ['zh', 'ja', 'th', 'lo', 'my', 'yue'].includes(code)) return sub;
    const words: string[] = [];
    const tokens: number[][] = [];
    sub.words.forEach((subword, i) => {
      const group = sub.tokens[i];
      const startsWord = group[0] >= this.special.eot || subword.startsWith(' ') || PUNCTUATION.includes(subword.trim()) || words.length === 0;
      if (startsWord) {
        words.push(subword);
        tokens.push([...group]);
      } else {
        words[words.length - 1] += subword;
        tokens[tokens.length - 1].push(...group);
      }
    });
    return { words, tokens };
  }

  private bytesToText(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const symbols = this.vocab.symbols.get(id);
      if (symbols === undefined) throw new RangeError(`token id ${id} is not in the vocabulary`);
      symbolsToBytes(symbols, bytes);
    }
    return this.utf8.decode(Uint8Array.from(bytes));
  }
}
