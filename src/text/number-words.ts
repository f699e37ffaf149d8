/**
 * English number words: cardinals, ordinals, years and digit-by-digit readings, in the US
 * style the API table uses ("one thousand two hundred thirty-four", no "and").
 *
 * Integers are taken as digit strings so that values past 2^53 (say-as accepts up to 36
 * digits) never go through a float.
 */

const ONES = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
// Short scale, as in US and modern British English.
const SCALES = [
  '', 'thousand', 'million', 'billion', 'trillion', 'quadrillion', 'quintillion', 'sextillion',
  'septillion', 'octillion', 'nonillion', 'decillion',
];

/** Most digits `integerWords` reads as a number (up to 10^36 - 1). */
export const MAX_INTEGER_DIGITS = SCALES.length * 3;

// Ordinals that do not just add "th".
const IRREGULAR_ORDINALS: Record<string, string> = {
  one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth',
  twelve: 'twelfth',
};

function below100(n: number): string {
  if (n < 20) return ONES[n]!;
  const tens = TENS[Math.floor(n / 10)]!;
  return n % 10 === 0 ? tens : `${tens}-${ONES[n % 10]}`;
}

function below1000(n: number): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds === 0) return below100(rest);
  const head = `${ONES[hundreds]} hundred`;
  return rest === 0 ? head : `${head} ${below100(rest)}`;
}

function toDigitString(value: number | bigint | string): string {
  const text = typeof value === 'string' ? value : value.toString();
  if (!/^\d+$/.test(text)) throw new RangeError(`not a non-negative integer: ${text}`);
  return text.replace(/^0+(?=\d)/, '');
}

/**
 * `1234` → "one thousand two hundred thirty-four". Accepts a non-negative integer as a
 * number, bigint or digit string; throws RangeError past `MAX_INTEGER_DIGITS` digits.
 */
export function integerWords(value: number | bigint | string): string {
  const digits = toDigitString(value);
  if (digits.length > MAX_INTEGER_DIGITS) throw new RangeError(`too many digits: ${digits.length}`);
  if (digits === '0') return 'zero';
  const parts: string[] = [];
  const groupCount = Math.ceil(digits.length / 3);
  for (let g = 0; g < groupCount; g++) {
    const end = digits.length - (groupCount - 1 - g) * 3;
    const group = Number(digits.slice(Math.max(0, end - 3), end));
    if (group === 0) continue;
    const scale = SCALES[groupCount - 1 - g]!;
    parts.push(scale ? `${below1000(group)} ${scale}` : below1000(group));
  }
  return parts.join(' ');
}

/** `"0123"` → "zero one two three": each digit on its own, other characters dropped. */
export function digitWords(digits: string): string {
  return Array.from(digits.replace(/\D/g, ''), (d) => ONES[Number(d)]).join(' ');
}

/**
 * A signed decimal given as its parts: ("1234", "5", true) → "minus one thousand two hundred
 * thirty-four point five". Fraction digits are read one by one, as people say them.
 */
export function decimalWords(integer: string, fraction = '', negative = false): string {
  let words = integerWords(integer || '0');
  if (fraction) words += ` point ${digitWords(fraction)}`;
  return negative ? `minus ${words}` : words;
}

/** `21` → "twenty-first", `100` → "one hundredth". */
export function ordinalWords(value: number | bigint | string): string {
  const cardinal = integerWords(value);
  // Only the last word changes: "one thousand twenty-one" → "one thousand twenty-first".
  const match = /^(.*?)([a-z]+)$/.exec(cardinal)!;
  const [, head, last] = match as unknown as [string, string, string];
  let ordinal: string;
  if (IRREGULAR_ORDINALS[last]) ordinal = IRREGULAR_ORDINALS[last];
  else if (last.endsWith('y')) ordinal = `${last.slice(0, -1)}ieth`;
  else ordinal = `${last}th`;
  return head + ordinal;
}

/**
 * A year as English speakers read it: 1999 → "nineteen ninety-nine", 1900 → "nineteen
 * hundred", 1905 → "nineteen oh five", 2000 → "two thousand", 2005 → "two thousand five",
 * 2010 → "twenty ten". Years below 1000 or from 10000 up are read as cardinals.
 */
export function yearWords(year: number): string {
  if (!Number.isInteger(year) || year < 0) throw new RangeError(`not a year: ${year}`);
  if (year < 1000 || year >= 10000) return integerWords(year);
  const century = Math.floor(year / 100);
  const rest = year % 100;
  if (year % 1000 === 0) return integerWords(year);
  // 2001–2009 (and 1001–1009 …) are said as plain cardinals: "two thousand five".
  if (century % 10 === 0 && rest < 10) return integerWords(year);
  if (rest === 0) return `${below100(century)} hundred`;
  if (rest < 10) return `${below100(century)} oh ${ONES[rest]}`;
  return `${below100(century)} ${below100(rest)}`;
}

/**
 * A year written with two digits ('99, 05): "ninety-nine", "oh five". The century is not
 * guessed, because the writer did not give it.
 */
export function shortYearWords(twoDigits: string): string {
  const n = Number(twoDigits);
  if (twoDigits.length !== 2 || !Number.isInteger(n)) throw new RangeError(`not a two-digit year: ${twoDigits}`);
  if (n === 0) return 'oh oh';
  return n < 10 ? `oh ${ONES[n]}` : below100(n);
}
