import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimalWords, digitWords, integerWords, ordinalWords, shortYearWords, yearWords } from '../src/text/number-words.js';

describe('number words', () => {
  it('reads cardinals in US style, without "and"', () => {
    assert.equal(integerWords(0), 'zero');
    assert.equal(integerWords(13), 'thirteen');
    assert.equal(integerWords(40), 'forty');
    assert.equal(integerWords(99), 'ninety-nine');
    assert.equal(integerWords(100), 'one hundred');
    assert.equal(integerWords(101), 'one hundred one');
    assert.equal(integerWords(1234), 'one thousand two hundred thirty-four');
    assert.equal(integerWords(1_000_001), 'one million one');
    assert.equal(integerWords(2_000_300_000), 'two billion three hundred thousand');
  });
  it('reads integers past 10^15 exactly, from digit strings and bigints', () => {
    assert.equal(integerWords('1000000000000000'), 'one quadrillion');
    assert.equal(integerWords(10n ** 18n + 7n), 'one quintillion seven');
    assert.equal(
      integerWords('9007199254740993'),
      'nine quadrillion seven trillion one hundred ninety-nine billion two hundred fifty-four million seven hundred forty thousand nine hundred ninety-three',
    );
    assert.throws(() => integerWords('1'.repeat(40)), RangeError);
    assert.throws(() => integerWords('-5'), RangeError);
  });
  it('reads decimals digit by digit after the point', () => {
    assert.equal(decimalWords('3', '14'), 'three point one four');
    assert.equal(decimalWords('0', '5', true), 'minus zero point five');
  });
  it('reads ordinals, changing only the last word', () => {
    const cases: [number, string][] = [
      [1, 'first'], [2, 'second'], [3, 'third'], [4, 'fourth'], [5, 'fifth'], [8, 'eighth'], [9, 'ninth'],
      [11, 'eleventh'], [12, 'twelfth'], [20, 'twentieth'], [21, 'twenty-first'], [42, 'forty-second'],
      [100, 'one hundredth'], [101, 'one hundred first'], [1000, 'one thousandth'], [1_000_000, 'one millionth'],
    ];
    for (const [n, words] of cases) assert.equal(ordinalWords(n), words, String(n));
  });
  it('reads years as English speakers say them', () => {
    const cases: [number, string][] = [
      [1999, 'nineteen ninety-nine'], [1900, 'nineteen hundred'], [1905, 'nineteen oh five'],
      [2000, 'two thousand'], [2005, 'two thousand five'], [2010, 'twenty ten'], [2024, 'twenty twenty-four'],
      [1066, 'ten sixty-six'], [1000, 'one thousand'], [1001, 'one thousand one'], [800, 'eight hundred'],
      [2100, 'twenty-one hundred'],
    ];
    for (const [year, words] of cases) assert.equal(yearWords(year), words, String(year));
    assert.equal(shortYearWords('99'), 'ninety-nine');
    assert.equal(shortYearWords('07'), 'oh seven');
  });
  it('reads digits one at a time, ignoring separators', () => {
    assert.equal(digitWords('90-1'), 'nine zero one');
  });
});
