/**
 * eSpeak NG's phoneme-separated IPA (`h_ə_l_ˈoʊ`, what the shipped wasm build's
 * `synthesize_ipa` writes) rewritten as its tied IPA (`həlˈo^ʊ`, what `espeak-ng --ipa`
 * with the tie option writes and misaki's rules in ./phonemes.ts match on).
 *
 * Both come from one function, espeak-ng `GetTranslatedPhonemeString` (src/libespeak-ng/
 * dictionary.c): with a separator, it goes before every phoneme of a word except the first
 * and except one that starts with a modifier (U+02B0–U+036F); with a tie, it goes inside
 * each phoneme, before every character after the first that is alphabetic and not a
 * modifier. Stress marks are written before a phoneme's name, so they are never tied.
 */

/** misaki's tie character (phonemizer `tie='^'`); ./phonemes.ts reads it. */
const TIE = '^';
const SEPARATOR = '_';
const STRESS = /^[ˈˌ]+/u;

/** eSpeak's test for a character that takes a tie before it (when not first in its phoneme). */
function takesTie(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (code < 0x2b0 || code > 0x36f) && /\p{L}/u.test(ch);
}

function tiePhoneme(phoneme: string): string {
  const stress = STRESS.exec(phoneme)?.[0] ?? '';
  const name = [...phoneme.slice(stress.length)];
  return stress + name.map((ch, i) => (i > 0 && takesTie(ch) ? TIE + ch : ch)).join('');
}

/** Tied IPA for separated IPA; lines and spaces between words are kept. */
export function tieSeparatedIpa(separated: string): string {
  return separated
    .split('\n')
    .map((line) =>
      line
        .split(' ')
        .map((word) => word.split(SEPARATOR).map(tiePhoneme).join(''))
        .join(' '),
    )
    .join('\n');
}
