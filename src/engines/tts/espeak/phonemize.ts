/**
 * Text to eSpeak NG IPA phonemes, sentence by sentence, the way Piper's phonemizer
 * (piper-phonemize `phonemize_eSpeak`) hands them to a voice: one string per sentence, each
 * clause's phonemes followed by its terminator (`.` `?` `!` end a sentence; `,` `:` `;` are
 * kept with a space after them), language-switch flags such as `(fr)` removed, NFD-normalized.
 *
 * Piper gets each clause's terminator from a patched eSpeak; the wasm build shipped here has no
 * such call, so clauses are cut here at the same punctuation (followed by a space or the end)
 * and each is phonemized on its own, as eSpeak phonemizes clause by clause anyway.
 * Used by Piper now and meant for every eSpeak-phonemized neural voice (Kokoro too).
 */

/** IPA for one clause from eSpeak (`EspeakCore.ipa`): phonemes may be `_`-separated, clauses on lines. */
export type IpaSource = (clause: string) => string;

/** Punctuation that ends a clause when followed by whitespace or the end of the text; closing quotes and brackets may follow it. */
const CLAUSE_END = /([.,;:!?])[.,;:!?"'\u201d\u2019)\]]*(?=\s|$)/g;
/** `(en)` … `(fr)`: eSpeak marks words it speaks with another language's rules. */
const LANGUAGE_FLAG = /\([^)]*\)/g;

/**
 * One string of phonemes per sentence, in order; empty when the text has nothing to say.
 * `normalize: false` keeps eSpeak's own code points (Kokoro's vocabulary has `ç` but not
 * `c` + U+0327, and would lose nasal vowels to NFC), for sources that normalize themselves.
 */
export function phonemizeSentences(text: string, ipa: IpaSource, normalize = true): string[] {
  const sentences: string[] = [];
  let current = '';
  const endSentence = (): void => {
    if (current.trim() !== '') sentences.push(current.trimEnd());
    current = '';
  };
  let start = 0;
  for (const match of text.matchAll(CLAUSE_END)) {
    const end = match.index + match[0].length;
    current += clausePhonemes(text.slice(start, end), ipa, normalize);
    start = end;
    const terminator = match[1]!;
    if (terminator === '.' || terminator === '?' || terminator === '!') {
      current += terminator;
      endSentence();
    } else {
      current += `${terminator} `;
    }
  }
  current += clausePhonemes(text.slice(start), ipa, normalize);
  endSentence();
  return sentences;
}

/** A clause's phonemes as one (NFD) string: separators and language flags out, eSpeak's own breaks as spaces. */
function clausePhonemes(clause: string, ipa: IpaSource, normalize: boolean): string {
  if (clause.trim() === '') return '';
  const phonemes = ipa(clause)
    .replaceAll('_', '')
    .replace(LANGUAGE_FLAG, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  return normalize ? phonemes.normalize('NFD') : phonemes;
}
