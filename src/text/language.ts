/**
 * Guessing the language of request text when the client does not say.
 *
 * A script used by a single language decides on its own, even for a few characters. Welsh is
 * checked next with a function-word test, because tinyld does not know Welsh (it calls it
 * English) and this product's users write it. Everything else goes to tinyld.
 * Short text is too ambiguous for a statistical guess ("Hello" comes back as Italian), so
 * very short text, and short text tinyld is unsure about, falls back to English.
 */
import { detectAll } from 'tinyld';

// The answer when the text does not say enough.
const FALLBACK_LANGUAGE = 'en';
// Fewer letters than this and tinyld is guessing.
const MIN_LETTERS = 12;
// On short text a weak tinyld verdict is noise ("Call me at five." comes back Spanish at 0.08),
// while real matches score well above this.
const SHORT_TEXT_LETTERS = 60;
const MIN_SHORT_TEXT_ACCURACY = 0.1;
// tinyld's cost grows with the text; its verdict settles long before this.
const MAX_DETECT_CHARS = 2000;
// Share of words that must be Welsh function words; English text scores close to zero.
const MIN_WELSH_SHARE = 0.25;
const MIN_WELSH_WORDS = 3;

// Scripts written by one language. A script decides when it holds most of the letters, so a
// stray "α" in English stays English.
const SINGLE_LANGUAGE_SCRIPTS: [RegExp, string][] = [
  [/\p{Script=Hangul}/gu, 'ko'],
  [/\p{Script=Greek}/gu, 'el'],
  [/\p{Script=Hebrew}/gu, 'he'],
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Georgian}/gu, 'ka'],
  [/\p{Script=Armenian}/gu, 'hy'],
];
const HAN = /\p{Script=Han}/gu;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/gu;
// Shared scripts: tinyld picks among their languages, but short text gets the main one.
const SHORT_TEXT_DEFAULTS: [RegExp, string][] = [
  [/\p{Script=Cyrillic}/gu, 'ru'],
  [/\p{Script=Arabic}/gu, 'ar'],
  [/\p{Script=Devanagari}/gu, 'hi'],
];

// Frequent Welsh words that are not also everyday words of English or of the languages
// tinyld is likely to be asked about ("y", "ti", "ein", "eu", "neu", "hon" are left out).
const WELSH_WORDS = new Set([
  'yn', 'yr', 'mae', 'roedd', 'oedd', 'bod', 'fod', 'dw', 'dwi', 'rwy', 'rydw', 'rydyn', 'ydy', 'ydi',
  'ydw', 'ydych', 'ydyn', 'yw', 'wyt', 'nhw', 'fy', 'eich', 'gyda', 'hefyd', 'ond', 'wedi', 'hwn',
  'hyn', 'yma', 'yna', 'iawn', 'diolch', 'bore', 'sut', 'beth', 'ble', 'pryd', 'dydd', 'croeso',
  'cymru', 'cymraeg', 'gymraeg', 'gan', 'dros', 'trwy', 'drwy', 'rhwng', 'wrth', 'fel', 'fydd',
  'bydd', 'cael', 'gwneud', 'mynd', 'dod', 'gallu', 'eisiau', 'angen', 'pob', 'llawer', 'mwy',
  'newydd', 'ddim', 'nid', 'nad', 'sydd', 'hoffi', 'heddiw', 'efo', 'ac',
  // The clitics of "i'n", "mae'r".
  'n', 'r',
]);

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

function looksWelsh(text: string): boolean {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length < MIN_WELSH_WORDS) return false;
  const welsh = words.filter((w) => WELSH_WORDS.has(w)).length;
  return welsh / words.length >= MIN_WELSH_SHARE;
}

/**
 * ISO 639-1 code of the text's language, or 'en' when the text is too short or too
 * ambiguous to tell.
 */
export function detectLanguage(text: string): string {
  const sample = text.slice(0, MAX_DETECT_CHARS);
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0) return FALLBACK_LANGUAGE;
  const han = count(sample, HAN);
  const kana = count(sample, KANA);
  // Japanese mixes kanji with kana; Chinese has no kana at all.
  if ((han + kana) * 2 >= letters) return kana > 0 ? 'ja' : 'zh';
  for (const [script, language] of SINGLE_LANGUAGE_SCRIPTS) {
    if (count(sample, script) * 2 >= letters) return language;
  }
  if (letters < MIN_LETTERS) {
    const shared = SHORT_TEXT_DEFAULTS.find(([script]) => count(sample, script) * 2 >= letters);
    return shared?.[1] ?? FALLBACK_LANGUAGE;
  }
  if (looksWelsh(sample)) return 'cy';
  const best = detectAll(inMainScript(sample, letters))[0];
  if (!best || (letters < SHORT_TEXT_LETTERS && best.accuracy < MIN_SHORT_TEXT_ACCURACY)) return FALLBACK_LANGUAGE;
  return best.lang;
}

// [letters of the script, letters of any other script]
const SHARED_SCRIPTS: [RegExp, RegExp][] = ['Latin', 'Cyrillic', 'Arabic', 'Devanagari'].map((script) => [
  new RegExp(`\\p{Script=${script}}`, 'gu'),
  new RegExp(`[^\\P{L}\\p{Script=${script}}]`, 'gu'),
]);

// tinyld trusts any character unique to one language, so a single "α" in English text makes
// it answer Greek. Letters outside the text's main script are dropped before asking it.
function inMainScript(sample: string, letters: number): string {
  const main = SHARED_SCRIPTS.find(([script]) => count(sample, script) * 2 >= letters);
  return main ? sample.replace(main[1], ' ') : sample;
}
