/**
 * `<say-as interpret-as="…">` rendering: turns the element's content into the words the
 * engine should speak.
 *
 * English gets full words, exactly as in the API table. For other languages the engine
 * (eSpeak NG, and the eSpeak-phonemized neural voices) already reads digits natively in
 * 100+ languages, so instead of number words we return the form it reads correctly there:
 * digits with the language's decimal separator, dates in the language's order (with month
 * names for a few common languages), 24-hour times, digits spaced out for telephones and
 * digits. Spelling out works the same everywhere. These forms were checked against eSpeak
 * NG's phonemizer.
 *
 * Unparsable content is a client error: 400 `invalid_ssml` on `text`.
 */
import { ApiError } from '../errors.js';
import { invalidSsml, quote } from './invalid-ssml.js';
import { isEnglish, primarySubtag } from './language-tag.js';
import { numberForEngine, parseNumber } from './number-format.js';
import { decimalWords, digitWords, MAX_INTEGER_DIGITS, ordinalWords } from './number-words.js';
import { sayCurrency } from './say-as-currency.js';
import { sayDate } from './say-as-date.js';
import { sayTelephone } from './say-as-telephone.js';
import { sayTime } from './say-as-time.js';

/** Options for one `<say-as>`: its `format` attribute and the language it is spoken in. */
export interface SayAsOptions {
  format?: string;
  language: string;
}

const INTERPRETATIONS = [
  'cardinal', 'number', 'ordinal', 'digits', 'characters', 'spell-out', 'verbatim', 'date', 'time',
  'telephone', 'currency',
] as const;

function cardinal(content: string, language: string): string {
  const n = parseNumber(content, language);
  if (!n) throw invalidSsml(`say-as cardinal: ${quote(content)} is not a number`);
  if (n.integer.length > MAX_INTEGER_DIGITS) throw invalidSsml(`say-as cardinal: ${quote(content)} is too large`);
  return isEnglish(language) ? decimalWords(n.integer, n.fraction, n.negative) : numberForEngine(n, language);
}

// How eSpeak NG is told a number is ordinal, by language: "21ème", "21º", "21.".
function ordinalForEngine(integer: string, language: string): string {
  const lang = primarySubtag(language);
  if (lang === 'fr') return integer === '1' ? '1er' : `${integer}ème`;
  if (['es', 'it', 'pt', 'gl'].includes(lang)) return `${integer}º`;
  if (['de', 'da', 'nb', 'nn', 'no', 'fi', 'cs', 'sk', 'pl', 'sl', 'hr', 'sr', 'hu', 'et', 'lv', 'is', 'fo', 'tr'].includes(lang)) {
    return `${integer}.`;
  }
  return integer;
}

function ordinal(content: string, language: string): string {
  // Accept the written ordinal suffixes of English and the languages above: 21st, 21., 21º, 21ème.
  const match = /^(.*?\d)\s*(?:st|nd|rd|th|er|re|ère|ème|eme|e|ste|de|te|o|a|[.ºª°])?$/iu.exec(content);
  const n = match ? parseNumber(match[1]!, language) : null;
  if (!n || n.negative || n.fraction) throw invalidSsml(`say-as ordinal: ${quote(content)} is not a whole number`);
  if (n.integer.length > MAX_INTEGER_DIGITS) throw invalidSsml(`say-as ordinal: ${quote(content)} is too large`);
  return isEnglish(language) ? ordinalWords(n.integer) : ordinalForEngine(n.integer, language);
}

function digits(content: string, language: string): string {
  if (!/^[\d\s\-.,/()]*\d[\d\s\-.,/()]*$/.test(content)) {
    throw invalidSsml(`say-as digits: ${quote(content)} must contain only digits`);
  }
  return isEnglish(language) ? digitWords(content) : Array.from(content.replace(/\D/g, '')).join(' ');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function characters(content: string): string {
  return Array.from(graphemes.segment(content), (s) => s.segment)
    .filter((g) => !/^\s+$/u.test(g))
    .join(' ');
}

/**
 * Renders one `<say-as>` element's content. Accepts the common aliases: `number` for
 * cardinal, `characters` and `verbatim` for spell-out. Throws 400 `invalid_ssml` for an
 * unknown `interpretAs` or content that does not fit it.
 */
export function sayAs(interpretAs: string, content: string, opts: SayAsOptions): string {
  const kind = interpretAs.trim().toLowerCase();
  const text = content.trim().replace(/\s+/g, ' ');
  if (!(INTERPRETATIONS as readonly string[]).includes(kind)) {
    throw invalidSsml(`say-as interpret-as ${quote(interpretAs)} is not supported; use one of ${INTERPRETATIONS.join(', ')}`);
  }
  if (!text) throw invalidSsml(`say-as ${kind} has no content`);
  try {
    switch (kind as (typeof INTERPRETATIONS)[number]) {
      case 'cardinal':
      case 'number':
        return cardinal(text, opts.language);
      case 'ordinal':
        return ordinal(text, opts.language);
      case 'digits':
        return digits(text, opts.language);
      case 'characters':
      case 'spell-out':
      case 'verbatim':
        return characters(text);
      case 'date':
        return sayDate(text, opts.format, opts.language);
      case 'time':
        return sayTime(text, opts.format, opts.language);
      case 'telephone':
        return sayTelephone(text, opts.language);
      case 'currency':
        return sayCurrency(text, opts.language);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof RangeError) throw invalidSsml(`say-as ${kind}: ${quote(text)} is out of range`);
    throw err;
  }
}
