import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { sayAs } from '../src/text/say-as.js';

const en = (interpretAs: string, content: string, format?: string): string =>
  sayAs(interpretAs, content, format === undefined ? { language: 'en' } : { format, language: 'en' });

function assertInvalidSsml(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.param, 'text');
    assert.equal(err.code, 'invalid_ssml');
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('say-as: every row of the API table, in English', () => {
  const table: [string, string, string][] = [
    ['cardinal', '1234', 'one thousand two hundred thirty-four'],
    ['ordinal', '21', 'twenty-first'],
    ['date', '1999-12-31', 'December thirty-first, nineteen ninety-nine'],
    ['time', '14:30', 'two thirty PM'],
    ['telephone', '+1-555-867-5309', 'plus one, five five five, eight six seven, five three zero nine'],
    ['currency', '$1,234.56', 'one thousand two hundred thirty-four dollars and fifty-six cents'],
    ['spell-out', 'NASA', 'N A S A'],
  ];
  for (const [kind, input, spoken] of table) {
    it(`${kind} ${input} is spoken "${spoken}"`, () => {
      assert.equal(en(kind, input), spoken);
      assert.equal(sayAs(kind, input, { language: 'en-us' }), spoken);
    });
  }
});

describe('say-as cardinal', () => {
  it('reads negatives, decimals, grouping and leading zeros', () => {
    assert.equal(en('cardinal', '-42'), 'minus forty-two');
    assert.equal(en('cardinal', '\u22127'), 'minus seven');
    assert.equal(en('cardinal', '3.5'), 'three point five');
    assert.equal(en('cardinal', '0.05'), 'zero point zero five');
    assert.equal(en('cardinal', '1,234'), 'one thousand two hundred thirty-four');
    assert.equal(en('cardinal', '1,000,000'), 'one million');
    assert.equal(en('cardinal', '007'), 'seven');
    assert.equal(en('cardinal', '0'), 'zero');
    assert.equal(en('cardinal', ' 12 '), 'twelve');
  });
  it('accepts "number" as an alias', () => {
    assert.equal(en('number', '1234'), 'one thousand two hundred thirty-four');
  });
  it('rejects content that is not a number', () => {
    assertInvalidSsml(() => en('cardinal', 'abc'), /not a number/);
    assertInvalidSsml(() => en('cardinal', '1,23,4'));
    assertInvalidSsml(() => en('cardinal', '12abc'));
    assertInvalidSsml(() => en('cardinal', '9'.repeat(40)), /too large/);
  });
  it('gives other languages digits in their own decimal format', () => {
    assert.equal(sayAs('cardinal', '1,234.5', { language: 'de' }), '1234,5');
    assert.equal(sayAs('cardinal', '1.234,5', { language: 'de' }), '1234,5');
    assert.equal(sayAs('cardinal', '3.5', { language: 'de' }), '3,5');
    assert.equal(sayAs('cardinal', '-7', { language: 'fr' }), 'moins 7');
    assert.equal(sayAs('cardinal', '-7', { language: 'de' }), '-7');
    assert.equal(sayAs('cardinal', '1,234', { language: 'cy' }), '1234');
  });
});

describe('say-as ordinal', () => {
  it('reads ordinals with or without a written suffix', () => {
    assert.equal(en('ordinal', '1'), 'first');
    assert.equal(en('ordinal', '2nd'), 'second');
    assert.equal(en('ordinal', '3'), 'third');
    assert.equal(en('ordinal', '12'), 'twelfth');
    assert.equal(en('ordinal', '20'), 'twentieth');
    assert.equal(en('ordinal', '100th'), 'one hundredth');
    assert.equal(en('ordinal', '1,002'), 'one thousand second');
  });
  it('rejects negatives, decimals and words', () => {
    assertInvalidSsml(() => en('ordinal', '-1'));
    assertInvalidSsml(() => en('ordinal', '2.5'));
    assertInvalidSsml(() => en('ordinal', 'first'));
    assertInvalidSsml(() => en('ordinal', '12abc'));
  });
  it('marks ordinals the way eSpeak reads them in other languages', () => {
    assert.equal(sayAs('ordinal', '21', { language: 'fr' }), '21ème');
    assert.equal(sayAs('ordinal', '1', { language: 'fr' }), '1er');
    assert.equal(sayAs('ordinal', '21', { language: 'es' }), '21º');
    assert.equal(sayAs('ordinal', '21.', { language: 'de' }), '21.');
  });
});

describe('say-as digits and spell-out', () => {
  it('reads digits one by one', () => {
    assert.equal(en('digits', '2048'), 'two zero four eight');
    assert.equal(sayAs('digits', '2048', { language: 'de' }), '2 0 4 8');
    assertInvalidSsml(() => en('digits', 'abc'));
  });
  it('spells characters, with "characters" and "verbatim" as aliases', () => {
    assert.equal(en('characters', 'NASA'), 'N A S A');
    assert.equal(en('verbatim', 'R2D2'), 'R 2 D 2');
    assert.equal(sayAs('spell-out', 'Éé', { language: 'fr' }), 'É é');
  });
});

describe('say-as date', () => {
  it('speaks years the way English speakers do', () => {
    assert.equal(en('date', '2005', 'y'), 'two thousand five');
    assert.equal(en('date', '2010', 'y'), 'twenty ten');
    assert.equal(en('date', '1900', 'y'), 'nineteen hundred');
    assert.equal(en('date', '1905', 'y'), 'nineteen oh five');
    assert.equal(en('date', '2000', 'y'), 'two thousand');
    assert.equal(en('date', '2024', 'y'), 'twenty twenty-four');
  });
  it('accepts ISO, slash, dash and dot forms, defaulting to mdy in English', () => {
    assert.equal(en('date', '12/31/1999'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '12-31-1999'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '12.31.1999'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '1/2/2005'), 'January second, two thousand five');
    assert.equal(en('date', '19991231'), 'December thirty-first, nineteen ninety-nine');
  });
  it('takes the field order of the input from format', () => {
    assert.equal(en('date', '02/01/2005', 'dmy'), 'January second, two thousand five');
    assert.equal(en('date', '31.12.1999', 'dmy'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '1999/12/31', 'ymd'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '12-31', 'md'), 'December thirty-first');
    assert.equal(en('date', '31-12', 'dm'), 'December thirty-first');
    assert.equal(en('date', '1999-12', 'ym'), 'December nineteen ninety-nine');
    assert.equal(en('date', '12/1999', 'my'), 'December nineteen ninety-nine');
    assert.equal(en('date', '12', 'm'), 'December');
    assert.equal(en('date', '3', 'd'), 'third');
    assert.equal(en('date', '31/12/1999', 'dd/mm/yyyy'), 'December thirty-first, nineteen ninety-nine');
  });
  it('places month names itself and reads two-digit years without guessing the century', () => {
    assert.equal(en('date', 'December 31, 1999'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '31 Dec 1999'), 'December thirty-first, nineteen ninety-nine');
    assert.equal(en('date', '12/31/99'), 'December thirty-first, ninety-nine');
    assert.equal(en('date', '1/5/05'), 'January fifth, oh five');
  });
  it('falls back to day-first when month-first cannot be a date', () => {
    assert.equal(en('date', '31/12/1999'), 'December thirty-first, nineteen ninety-nine');
  });
  it('says the day first for en-gb', () => {
    assert.equal(sayAs('date', '1999-12-31', { language: 'en-gb' }), 'the thirty-first of December, nineteen ninety-nine');
  });
  it('rejects impossible dates and formats', () => {
    assertInvalidSsml(() => en('date', '1999-02-30'), /not a valid date/);
    assertInvalidSsml(() => en('date', '2023-02-29'));
    assertInvalidSsml(() => en('date', '13/13/1999'));
    assertInvalidSsml(() => en('date', 'yesterday'));
    assertInvalidSsml(() => en('date', '12/31/1999', 'dmy'));
    assertInvalidSsml(() => en('date', '1999', 'qq'), /format/);
    assert.equal(en('date', '2024-02-29'), 'February twenty-ninth, twenty twenty-four');
  });
  it('defaults to dmy in other languages and uses their own word order', () => {
    assert.equal(sayAs('date', '01/12/1999', { language: 'fr' }), '1er décembre 1999');
    assert.equal(sayAs('date', '1999-12-31', { language: 'fr' }), '31 décembre 1999');
    assert.equal(sayAs('date', '31.12.1999', { language: 'de' }), '31. dezember 1999');
    assert.equal(sayAs('date', '31/12/1999', { language: 'es' }), '31 de diciembre de 1999');
    assert.equal(sayAs('date', '31/12/1999', { language: 'cy' }), '31 Rhagfyr 1999');
    assert.equal(sayAs('date', '1999-12-31', { language: 'ja' }), '1999年12月31日');
    assert.equal(sayAs('date', '31/12/1999', { language: 'ru' }), '31 12 1999');
    assert.equal(sayAs('date', '12/31/1999', { format: 'mdy', language: 'fr' }), '31 décembre 1999');
  });
});

describe('say-as time', () => {
  const times: [string, string][] = [
    ['14:00', 'two PM'],
    ['09:05', 'nine oh five AM'],
    ['00:00', 'twelve AM'],
    ['12:00', 'twelve PM'],
    ['2:30pm', 'two thirty PM'],
    ['2:30 PM', 'two thirty PM'],
    ['11:45 a.m.', 'eleven forty-five AM'],
    ['12:15am', 'twelve fifteen AM'],
    ['7pm', 'seven PM'],
    ['14:30:59', 'two thirty PM'],
    ['14h30', 'two thirty PM'],
    ['1430', 'two thirty PM'],
  ];
  for (const [input, spoken] of times) {
    it(`${input} is spoken "${spoken}"`, () => assert.equal(en('time', input), spoken));
  }
  it('uses the 24-hour clock when format says so', () => {
    assert.equal(en('time', '14:30', 'hms24'), 'fourteen thirty');
    assert.equal(en('time', '14:00', 'hms24'), 'fourteen hundred');
  });
  it('gives other languages a 24-hour time', () => {
    assert.equal(sayAs('time', '2:30pm', { language: 'de' }), '14:30');
    assert.equal(sayAs('time', '09:05', { language: 'fr' }), '9:05');
  });
  it('rejects impossible times', () => {
    assertInvalidSsml(() => en('time', '25:00'));
    assertInvalidSsml(() => en('time', '14:60'));
    assertInvalidSsml(() => en('time', '13pm'));
    assertInvalidSsml(() => en('time', '14'), /minutes or am\/pm/);
    assertInvalidSsml(() => en('time', 'noon'));
  });
});

describe('say-as telephone', () => {
  it('pauses wherever the number has a separator', () => {
    assert.equal(en('telephone', '(555) 867-5309'), 'five five five, eight six seven, five three zero nine');
    assert.equal(en('telephone', '+44 20 7946 0958'), 'plus four four, two zero, seven nine four six, zero nine five eight');
    assert.equal(en('telephone', '555.867.5309 ext. 42'), 'five five five, eight six seven, five three zero nine, extension four two');
    assert.equal(en('telephone', '1-800-FLOWERS'), 'one, eight zero zero, F L O W E R S');
  });
  it('gives other languages digits in the same groups', () => {
    assert.equal(sayAs('telephone', '+1-555-867-5309', { language: 'de' }), '+1, 5 5 5, 8 6 7, 5 3 0 9');
  });
  it('rejects text that is not a number', () => {
    assertInvalidSsml(() => en('telephone', 'call me'));
    assertInvalidSsml(() => en('telephone', '555#123'));
  });
});

describe('say-as currency', () => {
  const amounts: [string, string][] = [
    ['$1', 'one dollar'],
    ['$0.01', 'one cent'],
    ['$0.50', 'fifty cents'],
    ['$2.5', 'two dollars and fifty cents'],
    ['$1.00', 'one dollar'],
    ['$0', 'zero dollars'],
    ['€5', 'five euros'],
    ['€1.01', 'one euro and one cent'],
    ['5 €', 'five euros'],
    ['£2.50', 'two pounds and fifty pence'],
    ['£0.01', 'one penny'],
    ['¥1,000', 'one thousand yen'],
    ['USD 5', 'five dollars'],
    ['5 EUR', 'five euros'],
    ['GBP 1', 'one pound'],
    ['-$5', 'minus five dollars'],
    ['$-5', 'minus five dollars'],
    ['US$3', 'three dollars'],
    ['$2.5 million', 'two point five million dollars'],
    ['$1.234', 'one point two three four dollars'],
  ];
  for (const [input, spoken] of amounts) {
    it(`${input} is spoken "${spoken}"`, () => assert.equal(en('currency', input), spoken));
  }
  it('gives other languages the amount then the symbol', () => {
    assert.equal(sayAs('currency', '€1.234,56', { language: 'de' }), '1234,56 €');
    assert.equal(sayAs('currency', '$5', { language: 'fr' }), '5 $');
  });
  it('rejects amounts without a known unit or without a number', () => {
    assertInvalidSsml(() => en('currency', '1234.56'), /currency symbol or code/);
    assertInvalidSsml(() => en('currency', '5 XYZ'));
    assertInvalidSsml(() => en('currency', '$abc'));
    assertInvalidSsml(() => en('currency', '$'));
  });
});

describe('say-as errors', () => {
  it('rejects an unknown interpret-as, naming the supported ones', () => {
    assertInvalidSsml(() => en('expletive', 'darn'), /not supported.*cardinal/);
  });
  it('rejects empty content', () => {
    assertInvalidSsml(() => en('cardinal', '   '), /no content/);
  });
  it('is case-insensitive in interpret-as', () => {
    assert.equal(en('Cardinal', '5'), 'five');
  });
});
