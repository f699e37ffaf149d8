/**
 * `<say-as interpret-as="telephone">`: digit by digit, with a pause (comma) wherever the
 * number has a separator, because that is how people group a number when reading it out:
 * "+1-555-867-5309" → "plus one, five five five, eight six seven, five three zero nine".
 * Letters in vanity numbers (1-800-FLOWERS) are spelled; "ext. 12" / "x12" becomes an
 * extension. Other languages get the same shape with digits, which eSpeak reads natively.
 */
import { invalidSsml, quote } from './invalid-ssml.js';
import { isEnglish } from './language-tag.js';
import { digitWords } from './number-words.js';

const EXTENSION = /\s*(?:ext\.?|extension|x)\s*(\d+)$/i;
const NUMBER = /^\+?[\s\-.()/]*[0-9A-Za-z]+(?:[\s\-.()/]+[0-9A-Za-z]+)*[\s\-.()/]*$/;

/** Renders a telephone number. */
export function sayTelephone(content: string, language: string): string {
  const extension = EXTENSION.exec(content);
  const main = extension ? content.slice(0, extension.index) : content;
  if (!NUMBER.test(main) || (main.match(/\d/g)?.length ?? 0) < 2) {
    throw invalidSsml(`say-as telephone: ${quote(content)} is not a telephone number`);
  }
  const english = isEnglish(language);
  const spell = (group: string): string =>
    Array.from(group, (ch) => (/\d/.test(ch) ? (english ? digitWords(ch) : ch) : ch.toUpperCase())).join(' ');
  const groups = main.split(/[\s\-.()/+]+/).filter(Boolean).map(spell);
  const plus = main.trimStart().startsWith('+') ? (english ? 'plus ' : '+') : '';
  const ext = extension ? `, ${english ? `extension ${digitWords(extension[1]!)}` : spell(extension[1]!)}` : '';
  return `${plus}${groups.join(', ')}${ext}`;
}
