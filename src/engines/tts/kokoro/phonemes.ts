/**
 * eSpeak NG IPA -> Kokoro's phoneme set, per language, as the reference front ends do it.
 *
 * Kokoro v1.0 was trained on misaki's phonemes (github.com/hexgrad/misaki). Where misaki takes
 * its phonemes from eSpeak it rewrites eSpeak's IPA with fixed tables, in misaki/espeak.py at
 * commit fba1236595f2d2bf21d414ba6e57d25256afada3:
 * - English (`EspeakFallback`, what hexgrad/kokoro's KPipeline uses for words outside misaki's
 *   dictionaries, lang codes a/b): the `E2M` table, syllabic consonants, then American or
 *   British rules, then the flap and glottal stop for a model version other than '2.0'.
 * - Every other eSpeak language (`EspeakG2P`, lang codes e/f/h/i/p = es, fr-fr, hi, it, pt-br):
 *   tied affricates and diphthongs to misaki's one-symbol forms, hyphens dropped.
 * Kokoro v1.0 is "version None" in both (hexgrad/kokoro pipeline.py at commit dfb907a builds
 * both without a version), so the '2.0' branches are not taken.
 *
 * misaki asks eSpeak for tied IPA (phonemizer's `tie='^'`: eSpeak's phoneme mode with the tie
 * flag, `espeak-ng --ipa=1`, which joins the letters of one phoneme with U+0361). The rules
 * match on ties, so give this module tied IPA; U+0361, U+035C, U+200D (eSpeak's ZWJ mode) and
 * '^' are all read as ties. Untied IPA still maps, letter by letter, which is what kokoro-onnx
 * does (it filters eSpeak's untied IPA by the vocabulary and nothing else).
 *
 * Japanese and Chinese: the reference (misaki ja/zh) does not use eSpeak at all, so there is no
 * published eSpeak mapping; here they get the `EspeakG2P` rules, kokoro-onnx's generic path
 * (eSpeak IPA kept where the vocabulary has the symbol). Expect lower quality than misaki's.
 */
import { keepVocabSymbols } from './vocab.js';

/** Which reference table applies. */
export type KokoroPhonemeRules = 'en-us' | 'en-gb' | 'espeak';

/** [from, to] pairs applied in order, each to every occurrence (Python's `str.replace`). */
type Rewrites = ReadonlyArray<readonly [string, string]>;

/** U+0329 COMBINING VERTICAL LINE BELOW: eSpeak's syllabic mark (n̩, l̩). */
const SYLLABIC = '\u0329';

/**
 * misaki `EspeakFallback.E2M`, in the order misaki applies it: sorted by key length, longest
 * first, ties in the table's own order (Python's sort is stable).
 */
const ENGLISH_E2M: Rewrites = [
  [`ʔˌn${SYLLABIC}`, 'ʔn'],
  [`ʔn${SYLLABIC}`, 'ʔn'],
  ['a^ɪ', 'I'],
  ['a^ʊ', 'W'],
  ['d^ʒ', 'ʤ'],
  ['e^ɪ', 'A'],
  ['t^ʃ', 'ʧ'],
  ['ɔ^ɪ', 'Y'],
  ['ə^l', 'ᵊl'],
  ['ʲo', 'jo'],
  ['ʲə', 'jə'],
  ['e', 'A'],
  ['ʲ', ''],
  ['ɚ', 'əɹ'],
  ['r', 'ɹ'],
  ['x', 'k'],
  ['ç', 'k'],
  ['ɐ', 'ə'],
  ['ɬ', 'l'],
  ['\u0303', ''],
];

/**
 * British after E2M. misaki's first rule, 'e^ə' -> 'ɛː', can never match: E2M has already
 * turned every 'e' into 'A'. Kept as published, so this module says what the reference says.
 */
const BRITISH: Rewrites = [
  ['e^ə', 'ɛː'],
  ['iə', 'ɪə'],
  ['ə^ʊ', 'Q'],
];

/** American after E2M: rhotic NURSE, no length marks. */
const AMERICAN: Rewrites = [
  ['o^ʊ', 'O'],
  ['ɜːɹ', 'ɜɹ'],
  ['ɜː', 'ɜɹ'],
  ['ɪə', 'iə'],
  ['ː', ''],
];

/**
 * Both Englishes, last: 'o' -> 'ɔ' ("for espeak < 1.52"), then, for a model version other than
 * '2.0', the flap as misaki's 'T' and the glottal stop as 't'.
 */
const ENGLISH_TAIL: Rewrites = [
  ['o', 'ɔ'],
  ['ɾ', 'T'],
  ['ʔ', 't'],
];

/** misaki `EspeakG2P.e2m` for version None, in its applied order (`sorted(items)`). */
const ESPEAK_E2M: Rewrites = [
  ['a^ɪ', 'I'],
  ['a^ʊ', 'W'],
  ['d^z', 'ʣ'],
  ['d^ʒ', 'ʤ'],
  ['e^ɪ', 'A'],
  ['o^ʊ', 'O'],
  ['s^s', 'S'],
  ['t^s', 'ʦ'],
  ['t^ʃ', 'ʧ'],
  ['ɔ^ɪ', 'Y'],
  ['ə^ʊ', 'Q'],
];

/** Ties eSpeak can write (U+0361 with `--ipa=1`, U+035C, ZWJ with `--ipa=2`), read as '^'. */
const TIES = /[\u0361\u035C\u200D]/g;

/**
 * eSpeak's language-switch flags, e.g. `(en)` around a foreign word. misaki asks phonemizer to
 * remove them (`language_switch='remove-flags'`).
 */
const LANGUAGE_FLAG = /\([a-z]{2,3}(?:-[a-z0-9]+)*\)/g;

function rewrite(text: string, rules: Rewrites): string {
  let out = text;
  for (const [from, to] of rules) out = out.split(from).join(to);
  return out;
}

/** Which table a language takes: en-gb (and en-uk) British, other English American. */
export function phonemeRulesFor(lang: string): KokoroPhonemeRules {
  const code = lang.trim().toLowerCase().replace(/_/g, '-');
  if (code === 'b' || code === 'en-gb' || code === 'en-uk' || code.startsWith('en-gb-')) return 'en-gb';
  if (code === 'a' || code === 'en' || code.startsWith('en-')) return 'en-us';
  return 'espeak';
}

/** misaki `EspeakFallback.__call__` on already phonemized, tie-normalised text. */
function english(ps: string, british: boolean): string {
  let out = rewrite(ps, ENGLISH_E2M);
  // A syllabic consonant becomes schwa + consonant (n̩ -> ᵊn); a stray mark is dropped.
  out = out.replace(/(\S)\u0329/gu, 'ᵊ$1').split(SYLLABIC).join('');
  out = rewrite(out, british ? BRITISH : AMERICAN);
  return rewrite(out, ENGLISH_TAIL).split('^').join('');
}

/** misaki `EspeakG2P.__call__` (version None) on already phonemized, tie-normalised text. */
function espeakGeneric(ps: string): string {
  // misaki swaps «» for curly quotes before eSpeak and () back after it: the net effect on
  // punctuation that comes through is «» -> “”, parentheses kept.
  const out = rewrite(ps, ESPEAK_E2M).split('^').join('').split('-').join('');
  return out.split('«').join('“').split('»').join('”');
}

/**
 * Kokoro phonemes for eSpeak NG IPA of the given language (a BCP-47-ish code such as `en-us`,
 * `en-gb`, `fr`, `pt-br`, or Kokoro's one-letter lang code). The result holds only symbols of
 * Kokoro's vocabulary, so its length in code points is its token count; whitespace runs become
 * one space and the ends are trimmed, as misaki's `.strip()` does.
 */
export function espeakToKokoro(ipa: string, lang: string): string {
  // No Unicode normalisation: NFC would fuse o + U+0303 into õ, a symbol the vocabulary lacks.
  const tied = ipa.replace(TIES, '^').replace(LANGUAGE_FLAG, '').replace(/\s+/g, ' ').trim();
  const rules = phonemeRulesFor(lang);
  let mapped: string;
  switch (rules) {
    case 'en-us':
      mapped = english(tied, false);
      break;
    case 'en-gb':
      mapped = english(tied, true);
      break;
    case 'espeak':
      mapped = espeakGeneric(tied);
      break;
    default: {
      const unreachable: never = rules;
      throw new Error(`unknown phoneme rules ${String(unreachable)}`);
    }
  }
  return keepVocabSymbols(mapped).replace(/ {2,}/g, ' ').trim();
}
