/**
 * Whisper's special tokens and their ids exactly as `get_encoding()` in OpenAI's
 * whisper/tokenizer.py appends them after the ordinary vocabulary: `<|endoftext|>`,
 * `<|startoftranscript|>`, one token per language in LANGUAGES order (the first
 * `numLanguages`: 99, or 100 for large-v3 which adds `yue`), `<|translate|>`, `<|transcribe|>`,
 * `<|startoflm|>`, `<|startofprev|>`, `<|nospeech|>`, `<|notimestamps|>`, then 1501 timestamps
 * `<|0.00|>` … `<|30.00|>` in 0.02 s steps. Everything after the languages therefore shifts by
 * one in large-v3.
 */
import { WHISPER_LANGUAGES } from './languages.js';

export const TIMESTAMP_COUNT = 1501;
/** Seconds per timestamp token: the encoder's 20 ms output frames. */
export const TIMESTAMP_STEP_S = 0.02;
/** translate, transcribe, startoflm, startofprev, nospeech, notimestamps. */
const SPECIALS_AFTER_LANGUAGES = 6;

export interface WhisperSpecialTokens {
  eot: number;
  sot: number;
  /** Language code to its token id, in LANGUAGES order. */
  languages: ReadonlyMap<string, number>;
  translate: number;
  transcribe: number;
  sotLm: number;
  sotPrev: number;
  /** `<|nospeech|>` (spelled `<|nocaptions|>` in older exports; same id). */
  noSpeech: number;
  noTimestamps: number;
  /** `<|0.00|>`; timestamp i is `timestampBegin + i`, i·0.02 s. */
  timestampBegin: number;
  /** One past `<|30.00|>`: the size of the decoder's logits. */
  vocabSize: number;
}

export function whisperSpecialTokens(eot: number, numLanguages: number): WhisperSpecialTokens {
  if (!Number.isInteger(numLanguages) || numLanguages < 1 || numLanguages > WHISPER_LANGUAGES.length) {
    throw new RangeError(`numLanguages must be 1..${WHISPER_LANGUAGES.length}, got ${numLanguages}`);
  }
  const sot = eot + 1;
  const languages = new Map(WHISPER_LANGUAGES.slice(0, numLanguages).map(([code], i) => [code, sot + 1 + i] as const));
  const afterLanguages = sot + 1 + numLanguages;
  return {
    eot,
    sot,
    languages,
    translate: afterLanguages,
    transcribe: afterLanguages + 1,
    sotLm: afterLanguages + 2,
    sotPrev: afterLanguages + 3,
    noSpeech: afterLanguages + 4,
    noTimestamps: afterLanguages + 5,
    timestampBegin: afterLanguages + SPECIALS_AFTER_LANGUAGES,
    vocabSize: afterLanguages + SPECIALS_AFTER_LANGUAGES + TIMESTAMP_COUNT,
  };
}

/**
 * How many language tokens a checkpoint has, from its decoder's logits size (51865 for the
 * multilingual checkpoints, 51866 for large-v3, 51864 for `.en`): the export's config says so
 * only sometimes, the model's output shape always does.
 */
export function numLanguagesForVocabSize(vocabSize: number, eot: number): number {
  // eot, sot, the languages, the six after them, the timestamps
  return vocabSize - eot - 2 - SPECIALS_AFTER_LANGUAGES - TIMESTAMP_COUNT;
}

/** Every special token's text to its id, in tokenizer.py's order. */
export function specialTokenTexts(t: WhisperSpecialTokens): Map<string, number> {
  const texts = new Map<string, number>([
    ['<|endoftext|>', t.eot],
    ['<|startoftranscript|>', t.sot],
  ]);
  for (const [code, id] of t.languages) texts.set(`<|${code}|>`, id);
  texts.set('<|translate|>', t.translate);
  texts.set('<|transcribe|>', t.transcribe);
  texts.set('<|startoflm|>', t.sotLm);
  texts.set('<|startofprev|>', t.sotPrev);
  texts.set('<|nospeech|>', t.noSpeech);
  texts.set('<|notimestamps|>', t.noTimestamps);
  for (let i = 0; i < TIMESTAMP_COUNT; i++) texts.set(`<|${(i * TIMESTAMP_STEP_S).toFixed(2)}|>`, t.timestampBegin + i);
  return texts;
}
