/**
 * `<say-as interpret-as="currency">`: an amount with a symbol or ISO code before or after it
 * ("$1,234.56", "€5", "5 EUR", "USD 5", "-£3.20", "$2.5 million"). English speaks the major
 * and minor units ("… dollars and fifty-six cents"); other languages get the amount in their
 * own number format followed by the symbol or code ("1234,56 €"), which eSpeak NG reads in
 * the right order ("$5" would come out as "dollar five" in French).
 */
import { invalidSsml, quote } from './invalid-ssml.js';
import { isEnglish } from './language-tag.js';
import { numberForEngine, parseNumber } from './number-format.js';
import { decimalWords, integerWords, MAX_INTEGER_DIGITS } from './number-words.js';

interface Currency {
  /** [singular, plural] of the major unit. */
  major: [string, string];
  /** [singular, plural] of the minor unit; absent for currencies without one in use. */
  minor?: [string, string];
  /** Written after the amount for non-English output. */
  symbol: string;
}

const CURRENCIES: Record<string, Currency> = {
  USD: { major: ['dollar', 'dollars'], minor: ['cent', 'cents'], symbol: '$' },
  EUR: { major: ['euro', 'euros'], minor: ['cent', 'cents'], symbol: '€' },
  GBP: { major: ['pound', 'pounds'], minor: ['penny', 'pence'], symbol: '£' },
  JPY: { major: ['yen', 'yen'], symbol: '¥' },
  CNY: { major: ['yuan', 'yuan'], minor: ['fen', 'fen'], symbol: 'CNY' },
  INR: { major: ['rupee', 'rupees'], minor: ['paisa', 'paise'], symbol: '₹' },
  CAD: { major: ['Canadian dollar', 'Canadian dollars'], minor: ['cent', 'cents'], symbol: 'CAD' },
  AUD: { major: ['Australian dollar', 'Australian dollars'], minor: ['cent', 'cents'], symbol: 'AUD' },
  NZD: { major: ['New Zealand dollar', 'New Zealand dollars'], minor: ['cent', 'cents'], symbol: 'NZD' },
  HKD: { major: ['Hong Kong dollar', 'Hong Kong dollars'], minor: ['cent', 'cents'], symbol: 'HKD' },
  CHF: { major: ['Swiss franc', 'Swiss francs'], minor: ['centime', 'centimes'], symbol: 'CHF' },
  RUB: { major: ['ruble', 'rubles'], minor: ['kopeck', 'kopecks'], symbol: '₽' },
  KRW: { major: ['won', 'won'], symbol: '₩' },
  MXN: { major: ['Mexican peso', 'Mexican pesos'], minor: ['centavo', 'centavos'], symbol: 'MXN' },
  BRL: { major: ['real', 'reais'], minor: ['centavo', 'centavos'], symbol: 'R$' },
  SEK: { major: ['Swedish krona', 'Swedish kronor'], minor: ['öre', 'öre'], symbol: 'SEK' },
  NOK: { major: ['Norwegian krone', 'Norwegian kroner'], minor: ['øre', 'øre'], symbol: 'NOK' },
  DKK: { major: ['Danish krone', 'Danish kroner'], minor: ['øre', 'øre'], symbol: 'DKK' },
  PLN: { major: ['zloty', 'zlotys'], minor: ['grosz', 'groszy'], symbol: 'zł' },
  TRY: { major: ['Turkish lira', 'Turkish lira'], minor: ['kuruş', 'kuruş'], symbol: '₺' },
  ILS: { major: ['shekel', 'shekels'], minor: ['agora', 'agorot'], symbol: '₪' },
  UAH: { major: ['hryvnia', 'hryvnias'], minor: ['kopiyka', 'kopiyky'], symbol: '₴' },
  ZAR: { major: ['rand', 'rand'], minor: ['cent', 'cents'], symbol: 'ZAR' },
  NGN: { major: ['naira', 'naira'], minor: ['kobo', 'kobo'], symbol: '₦' },
  THB: { major: ['baht', 'baht'], minor: ['satang', 'satang'], symbol: '฿' },
  VND: { major: ['dong', 'dong'], symbol: '₫' },
};

// Longest first so "US$" wins over "$". "¥" is taken as yen; write CNY for yuan.
const SYMBOLS: [string, string][] = (
  [
    ['US$', 'USD'], ['CA$', 'CAD'], ['AU$', 'AUD'], ['NZ$', 'NZD'], ['HK$', 'HKD'], ['C$', 'CAD'],
    ['A$', 'AUD'], ['R$', 'BRL'], ['CN¥', 'CNY'], ['zł', 'PLN'], ['$', 'USD'], ['€', 'EUR'],
    ['£', 'GBP'], ['¥', 'JPY'], ['₹', 'INR'], ['₽', 'RUB'], ['₩', 'KRW'], ['₺', 'TRY'], ['₪', 'ILS'],
    ['₴', 'UAH'], ['₦', 'NGN'], ['฿', 'THB'], ['₫', 'VND'],
  ] as [string, string][]
).sort((a, b) => b[0].length - a[0].length);

const SCALE = /\s+(thousand|million|billion|trillion)$/i;

function splitUnit(content: string): { code: string; amount: string } | null {
  let text = content;
  // A sign may come before the symbol ("-$5") as well as after it ("$-5").
  const sign = /^[-\u2212]\s*/.exec(text)?.[0] ?? '';
  text = text.slice(sign.length);
  const found: { code: string; rest: string }[] = [];
  for (const [symbol, code] of SYMBOLS) {
    if (text.startsWith(symbol)) found.push({ code, rest: text.slice(symbol.length) });
    else if (text.endsWith(symbol)) found.push({ code, rest: text.slice(0, -symbol.length) });
  }
  const iso = /^([A-Z]{3})\s*(.*)$/.exec(text) ?? /^(.*?)\s*([A-Z]{3})$/.exec(text);
  if (iso) {
    const [code, rest] = /^[A-Z]{3}/.test(text) ? [iso[1]!, iso[2]!] : [iso[2]!, iso[1]!];
    if (CURRENCIES[code]) found.push({ code, rest });
  }
  const first = found[0];
  if (!first || /[^\d\s.,'\u00a0\u202f\u2009\-\u2212a-z]/i.test(first.rest)) return null;
  return { code: first.code, amount: sign + first.rest.trim() };
}

function plural(count: string, [one, many]: [string, string]): string {
  return count === '1' ? one : many;
}

/** Renders an amount of money. */
export function sayCurrency(content: string, language: string): string {
  const unit = splitUnit(content);
  if (!unit) {
    throw invalidSsml(`say-as currency: ${quote(content)} needs an amount and a known currency symbol or code, such as $5 or 5 EUR`);
  }
  const scale = SCALE.exec(unit.amount);
  const amount = scale ? unit.amount.slice(0, scale.index) : unit.amount;
  const n = parseNumber(amount, language);
  if (!n) throw invalidSsml(`say-as currency: ${quote(content)} has no valid amount`);
  if (n.integer.length > MAX_INTEGER_DIGITS) throw invalidSsml(`say-as currency: ${quote(content)} is too large`);
  const currency = CURRENCIES[unit.code]!;

  if (!isEnglish(language)) {
    return [numberForEngine(n, language), scale?.[1], currency.symbol].filter(Boolean).join(' ');
  }
  const minus = n.negative ? 'minus ' : '';
  if (scale) return `${minus}${decimalWords(n.integer, n.fraction)} ${scale[1]!.toLowerCase()} ${currency.major[1]}`;
  const minorDigits = currency.minor ? 2 : 0;
  // More decimals than the currency has minor units ($1.234, ¥100.5): say the decimal.
  if (n.fraction.length > minorDigits && /[1-9]/.test(n.fraction.slice(minorDigits))) {
    return `${minus}${decimalWords(n.integer, n.fraction)} ${currency.major[1]}`;
  }
  const minorValue = currency.minor ? String(Number(n.fraction.slice(0, 2).padEnd(2, '0'))) : '0';
  const parts: string[] = [];
  if (n.integer !== '0' || minorValue === '0') parts.push(`${integerWords(n.integer)} ${plural(n.integer, currency.major)}`);
  if (minorValue !== '0') parts.push(`${integerWords(minorValue)} ${plural(minorValue, currency.minor!)}`);
  return minus + parts.join(' and ');
}
