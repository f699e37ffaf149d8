/**
 * Splits input text into the words a listener would see written, so that word timings name
 * the caller's words (`$1,234`, `don't`) rather than the engine's expansions or phonemes.
 */

export interface TextWord {
  /** The word as written, without surrounding punctuation; empty for a punctuation-only token. */
  text: string;
  /** UTF-16 range of the whole whitespace-delimited token in the input. */
  start: number;
  end: number;
}

const TOKEN = /\S+/gu;
const EDGE_PUNCTUATION = /^\p{P}+|\p{P}+$/gu;

export function splitWords(text: string): TextWord[] {
  const words: TextWord[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index ?? 0;
    words.push({ text: m[0].replace(EDGE_PUNCTUATION, ''), start, end: start + m[0].length });
  }
  return words;
}
