/**
 * `<say-as interpret-as="date">`. The `format` attribute (mdy, dmy, ymd, md, dm, ym, my, y,
 * m, d, …; "dd/mm/yyyy" and "yyyymmdd" are read as dmy and ymd) gives the field order of the
 * content, not of the speech. Without it, a leading four-digit year means ISO order (ymd),
 * a month name places itself, and otherwise the order is mdy for English and dmy for other
 * languages, per the API contract; if that default cannot be a date but the day-month swap
 * can ("31/12/1999" in English), the swap is used.
 *
 * English is spoken "December thirty-first, nineteen ninety-nine" (day-first regions such
 * as en-gb: "the thirty-first of December, …"). Other languages get digits in their own
 * order, with month names where we have them, in the form eSpeak NG reads well: German
 * "31. dezember 1999" is lower-case because eSpeak reads "31." as an ordinal only when a
 * lower-case word follows (a capital makes it end the sentence).
 */
import { invalidSsml, quote } from './invalid-ssml.js';
import { isEnglish, primarySubtag } from './language-tag.js';
import { ordinalWords, shortYearWords, yearWords } from './number-words.js';

type Field = 'y' | 'm' | 'd';

interface DateParts {
  year?: string;
  month?: number;
  day?: number;
}

const FORMATS = new Set(['mdy', 'dmy', 'ymd', 'ydm', 'myd', 'dym', 'md', 'dm', 'ym', 'my', 'y', 'm', 'd']);

const ENGLISH_MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December',
];
// Day-first English: where people say "the first of May".
const DAY_FIRST_ENGLISH = new Set(['gb', 'uk', 'au', 'nz', 'ie', 'za', 'in']);

const MONTHS: Record<string, string[]> = {
  cy: ['Ionawr', 'Chwefror', 'Mawrth', 'Ebrill', 'Mai', 'Mehefin', 'Gorffennaf', 'Awst', 'Medi', 'Hydref', 'Tachwedd', 'Rhagfyr'],
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  es: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
  fr: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
  it: ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio', 'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'],
  nl: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'],
  pt: ['janeiro', 'fevereiro', 'março', 'abril', 'maio', 'junho', 'julho', 'agosto', 'setembro', 'outubro', 'novembro', 'dezembro'],
};
// Languages that write dates year first; the rest of those without a table use day first.
const YEAR_FIRST = new Set(['hu', 'lt', 'mn', 'sv', 'zh', 'ja', 'ko']);

function normalizeFormat(format: string): string {
  // "dd/mm/yyyy" → "dmy", "yyyymmdd" → "ymd".
  const order = format.toLowerCase().replace(/[^dmy]/g, '').replace(/(.)\1+/g, '$1');
  if (!FORMATS.has(order)) {
    throw invalidSsml(`say-as date format ${quote(format)} is not supported; use an order such as mdy, dmy, ymd, md, dm, ym, my, y, m or d`);
  }
  return order;
}

function monthFromName(token: string): number | undefined {
  const lower = token.toLowerCase().replace(/\.$/, '');
  if (lower.length < 3) return undefined;
  // Full names and their prefixes: "Dec", "Sept", "December".
  const index = ENGLISH_MONTHS.findIndex((m) => m.toLowerCase().startsWith(lower));
  return index >= 0 ? index + 1 : undefined;
}

function tokenize(content: string, order: string | undefined): string[] {
  // Compact ISO and friends: "19991231" in the given (default ISO) order.
  if (/^\d{8}$/.test(content)) {
    const fields = order ?? 'ymd';
    if (fields.length === 3) {
      const tokens: string[] = [];
      let at = 0;
      for (const f of fields) {
        const width = f === 'y' ? 4 : 2;
        tokens.push(content.slice(at, at + width));
        at += width;
      }
      return tokens;
    }
  }
  return content
    .split(/[\s\-/.,]+/)
    .filter(Boolean)
    .map((t) => t.replace(/^(\d{1,2})(?:st|nd|rd|th)$/i, '$1'));
}

function inferOrder(tokens: string[], language: string): string | null {
  const defaults = isEnglish(language) ? 'mdy' : 'dmy';
  if (tokens.some((t) => monthFromName(t) !== undefined)) {
    let order = '';
    for (const t of tokens) {
      if (monthFromName(t) !== undefined) order += 'm';
      else if (t.length >= 3 || Number(t) > 31 || order.includes('d')) order += 'y';
      else order += 'd';
    }
    return order;
  }
  if (tokens.length === 3) return /^\d{4}$/.test(tokens[0]!) ? 'ymd' : defaults;
  if (tokens.length === 2) {
    if (/^\d{3,4}$/.test(tokens[0]!)) return 'ym';
    if (/^\d{3,4}$/.test(tokens[1]!)) return 'my';
    return defaults.replace('y', '');
  }
  if (tokens.length === 1 && /^\d{3,4}$/.test(tokens[0]!)) return 'y';
  return null;
}

function daysInMonth(month: number, year: number | undefined): number {
  if (month === 2) {
    if (year === undefined) return 29;
    return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Reads tokens in `order`; returns null when they cannot be that date. */
function readParts(tokens: string[], order: string): DateParts | null {
  if (tokens.length !== order.length || new Set(order).size !== order.length) return null;
  const parts: DateParts = {};
  for (let i = 0; i < order.length; i++) {
    const token = tokens[i]!;
    const field = order[i] as Field;
    if (field === 'm') {
      const month = /^\d{1,2}$/.test(token) ? Number(token) : monthFromName(token);
      if (month === undefined || month < 1 || month > 12) return null;
      parts.month = month;
    } else if (field === 'd') {
      if (!/^\d{1,2}$/.test(token) || Number(token) < 1) return null;
      parts.day = Number(token);
    } else {
      if (!/^\d{1,4}$/.test(token) || Number(token) < 1 && token.length !== 2) return null;
      parts.year = token;
    }
  }
  if (parts.day !== undefined) {
    const fullYear = parts.year?.length === 4 ? Number(parts.year) : undefined;
    const max = parts.month === undefined ? 31 : daysInMonth(parts.month, fullYear);
    if (parts.day > max) return null;
  }
  return parts;
}

function englishYear(year: string): string {
  return year.length === 2 ? shortYearWords(year) : yearWords(Number(year));
}

function english(parts: DateParts, language: string): string {
  const region = language.split('-')[1];
  const dayFirst = region !== undefined && DAY_FIRST_ENGLISH.has(region);
  const month = parts.month === undefined ? undefined : ENGLISH_MONTHS[parts.month - 1]!;
  const day = parts.day === undefined ? undefined : ordinalWords(parts.day);
  const year = parts.year === undefined ? undefined : englishYear(parts.year);
  let head: string | undefined;
  if (day && month) head = dayFirst ? `the ${day} of ${month}` : `${month} ${day}`;
  else if (day) head = dayFirst ? `the ${day}` : day;
  else head = month;
  if (head && year) return day ? `${head}, ${year}` : `${head} ${year}`;
  return head ?? year!;
}

function otherLanguage(parts: DateParts, language: string): string {
  const lang = primarySubtag(language);
  const { year, month, day } = parts;
  const names = MONTHS[lang];
  if (names) {
    const monthName = month === undefined ? undefined : names[month - 1]!;
    const join = (...pieces: (string | undefined)[]): string => pieces.filter(Boolean).join(' ');
    switch (lang) {
      case 'de':
        return day !== undefined
          ? join(`${day}.`, monthName?.toLowerCase(), year)
          : join(monthName, year);
      case 'fr':
        return join(day === 1 ? '1er' : day?.toString(), monthName, year);
      case 'es':
      case 'pt':
        return [day === 1 && lang === 'pt' ? '1º' : day?.toString(), monthName, year].filter(Boolean).join(' de ');
      case 'it':
        return join(day === 1 ? '1º' : day?.toString(), monthName, year);
      default:
        return join(day?.toString(), monthName, year);
    }
  }
  if (lang === 'zh' || lang === 'ja') {
    return `${year ? `${year}年` : ''}${month ? `${month}月` : ''}${day ? `${day}日` : ''}`;
  }
  if (lang === 'ko') {
    return [year && `${year}년`, month && `${month}월`, day && `${day}일`].filter(Boolean).join(' ');
  }
  // Spaces, not dots or slashes: eSpeak reads those aloud ("Punkt", "slash") in many languages.
  const fields = YEAR_FIRST.has(lang) ? [year, month, day] : [day, month, year];
  return fields.filter((f) => f !== undefined).join(' ');
}

/** Renders a date; see the module comment for how the field order is chosen. */
export function sayDate(content: string, format: string | undefined, language: string): string {
  const order = format === undefined ? undefined : normalizeFormat(format);
  const tokens = tokenize(content, order);
  const chosen = order ?? inferOrder(tokens, language);
  if (!chosen) throw invalidSsml(`say-as date: ${quote(content)} is ambiguous; add a format attribute such as format="dmy"`);
  let parts = readParts(tokens, chosen);
  if (!parts && order === undefined) parts = readParts(tokens, chosen.replace(/[dm]/g, (f) => (f === 'd' ? 'm' : 'd')));
  if (!parts) {
    const expected = order ? ` in format ${quote(format!)}` : '';
    throw invalidSsml(`say-as date: ${quote(content)} is not a valid date${expected}`);
  }
  return isEnglish(language) ? english(parts, language) : otherLanguage(parts, language);
}
