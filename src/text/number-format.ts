/**
 * Reading numbers as people write them (grouping and decimal separators differ by language)
 * and writing them back in the form eSpeak NG reads correctly for a language.
 *
 * The engine-facing forms were checked against eSpeak NG's own phonemizer: it reads
 * "1234,5" as a decimal in comma-decimal languages, but silently drops a leading "-" in
 * several languages (French, Spanish, Russian, Welsh, Turkish, Chinese, …), so for those the
 * minus sign is written as a word.
 */
import { primarySubtag } from './language-tag.js';

/** A number split into its parts, all as digit strings so nothing is lost to floats. */
export interface ParsedNumber {
  negative: boolean;
  /** Integer digits without leading zeros; `'0'` when there are none. */
  integer: string;
  /** Fraction digits exactly as written; `''` when there is no decimal part. */
  fraction: string;
}

// Languages whose decimal separator is a comma (CLDR). Others use a point.
const COMMA_DECIMAL = new Set([
  'af', 'az', 'be', 'bg', 'bs', 'ca', 'cs', 'da', 'de', 'el', 'es', 'et', 'eu', 'fi', 'fo', 'fr',
  'gl', 'hr', 'hu', 'hy', 'id', 'is', 'it', 'ka', 'kk', 'ky', 'lt', 'lv', 'mk', 'nb', 'nl', 'nn',
  'no', 'pl', 'pt', 'ro', 'ru', 'sk', 'sl', 'sq', 'sr', 'sv', 'tr', 'uk', 'uz', 'vi',
]);

// Where eSpeak NG drops a leading "-", the word it does read.
const MINUS_WORDS: Record<string, string> = {
  ca: 'menys', cy: 'minws', da: 'minus', es: 'menos', fr: 'moins', ja: 'マイナス', ko: '마이너스',
  ru: 'минус', tr: 'eksi', zh: '负',
};

// U+2212 is the typographic minus; both it and the hyphen mean negative.
const SIGN = /^([+\-\u2212]?)\s*/;

/** Decimal separator customary for `language`. */
export function decimalSeparator(language: string): ',' | '.' {
  return COMMA_DECIMAL.has(primarySubtag(language)) ? ',' : '.';
}

function pattern(group: string, decimal: string): RegExp {
  // A grouped integer must use one separator throughout, with groups of exactly three.
  return new RegExp(`^(?:(\\d{1,3}(?:(${group})\\d{3})(?:\\2\\d{3})*)|(\\d*))(?:${decimal}(\\d+))?$`);
}

const POINT_DECIMAL = pattern("[,\\u00a0\\u202f\\u2009 ']", '\\.');
const COMMA_DECIMAL_PATTERN = pattern("[.\\u00a0\\u202f\\u2009 '\u2019]", ',');

/**
 * Parses "1,234.5", "-3.5", "1.234,5" (in a comma-decimal language) and the like. The
 * language's own convention is tried first, then the other one, so "3.5" still means three
 * and a half in German. Returns null for anything that is not a plain number.
 */
export function parseNumber(text: string, language: string): ParsedNumber | null {
  const sign = SIGN.exec(text.trim())!;
  const body = text.trim().slice(sign[0].length);
  const conventions = decimalSeparator(language) === ','
    ? [COMMA_DECIMAL_PATTERN, POINT_DECIMAL]
    : [POINT_DECIMAL, COMMA_DECIMAL_PATTERN];
  for (const convention of conventions) {
    const match = convention.exec(body);
    if (!match) continue;
    const integerPart = (match[1] ?? match[3] ?? '').replace(/\D/g, '');
    const fraction = match[4] ?? '';
    if (!integerPart && !fraction) return null;
    return {
      negative: sign[1] === '-' || sign[1] === '\u2212',
      integer: integerPart.replace(/^0+(?=\d)/, '') || '0',
      fraction,
    };
  }
  return null;
}

/**
 * The number as eSpeak NG should see it in `language`: no grouping, the language's decimal
 * separator, and a minus word where the engine would drop the sign. `-1234.5` in French →
 * "moins 1234,5".
 */
export function numberForEngine(n: ParsedNumber, language: string): string {
  const digits = n.fraction ? `${n.integer}${decimalSeparator(language)}${n.fraction}` : n.integer;
  if (!n.negative) return digits;
  const minus = MINUS_WORDS[primarySubtag(language)];
  return minus ? `${minus} ${digits}` : `-${digits}`;
}
