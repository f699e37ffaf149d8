import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { applyPronunciations, parsePronunciations, type PronunciationRule } from '../src/text/pronunciations.js';

function assertInvalid(value: unknown, message?: RegExp): void {
  assert.throws(() => parsePronunciations(value), (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.param, 'pronunciations');
    if (message) assert.match(err.message, message);
    return true;
  });
}

const rule = (word: string, replacement: string, caseSensitive = false, language?: string): PronunciationRule =>
  language === undefined ? { word, replacement, caseSensitive } : { word, replacement, caseSensitive, language };

describe('parsePronunciations', () => {
  it('accepts the object form', () => {
    assert.deepEqual(parsePronunciations({ GIF: 'jiff', SQL: 'sequel' }), [rule('GIF', 'jiff'), rule('SQL', 'sequel')]);
  });
  it('accepts the array form with case_sensitive and language', () => {
    assert.deepEqual(
      parsePronunciations([
        { word: 'GIF', replacement: 'jiff', case_sensitive: true },
        { word: ' Llais ', replacement: 'thlice', language: 'en-GB' },
        { word: 'x', replacement: 'y', case_sensitive: null, language: '' },
      ]),
      [rule('GIF', 'jiff', true), rule('Llais', 'thlice', false, 'en-gb'), rule('x', 'y')],
    );
  });
  it('treats absent as no rules', () => {
    assert.deepEqual(parsePronunciations(undefined), []);
    assert.deepEqual(parsePronunciations(null), []);
    assert.deepEqual(parsePronunciations({}), []);
  });
  it('rejects bad shapes with a 400 on pronunciations', () => {
    assertInvalid('GIF=jiff', /object/);
    assertInvalid(42);
    assertInvalid({ GIF: 5 }, /replacement must be a non-empty string/);
    assertInvalid({ GIF: '' }, /replacement/);
    assertInvalid({ '': 'x' }, /word must be a non-empty string/);
    assertInvalid({ '   ': 'x' }, /word/);
    assertInvalid(['GIF'], /must be an object/);
    assertInvalid([null]);
    assertInvalid([{ word: 'GIF' }], /replacement/);
    assertInvalid([{ word: 7, replacement: 'x' }], /word/);
    assertInvalid([{ word: 'GIF', replacement: 'jiff', case_sensitive: 'yes' }], /case_sensitive must be a boolean/);
    assertInvalid([{ word: 'GIF', replacement: 'jiff', language: 'not a language!' }], /language/);
    assertInvalid({ ['w'.repeat(101)]: 'x' }, /longer than 100/);
    assertInvalid({ w: 'x'.repeat(501) }, /longer than 500/);
  });
  it('allows 200 entries and rejects 201', () => {
    const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}`, 'x']));
    assert.equal(parsePronunciations(entries(200)).length, 200);
    assertInvalid(entries(201), /at most 200/);
    assertInvalid(Array.from({ length: 201 }, (_, i) => ({ word: `w${i}`, replacement: 'x' })), /at most 200/);
  });
});

describe('applyPronunciations', () => {
  it('replaces whole words only', () => {
    const rules = [rule('GIF', 'jiff')];
    assert.equal(applyPronunciations('a GIF.', rules, 'en'), 'a jiff.');
    assert.equal(applyPronunciations('GIFs and aGIF and GIF2 and GIF_x', rules, 'en'), 'GIFs and aGIF and GIF2 and GIF_x');
    assert.equal(applyPronunciations("GIF's GIF-based (GIF)", rules, 'en'), "jiff's jiff-based (jiff)");
  });
  it('uses Unicode word boundaries', () => {
    assert.equal(applyPronunciations('café cafés écafé', [rule('café', 'caff')], 'fr'), 'caff cafés écafé');
    assert.equal(applyPronunciations('Llais, llaisus', [rule('llais', 'thlice')], 'cy'), 'thlice, llaisus');
  });
  it('handles words that start or end with punctuation', () => {
    assert.equal(applyPronunciations('I like C++ and C#.', [rule('C++', 'see plus plus'), rule('C#', 'see sharp')], 'en'), 'I like see plus plus and see sharp.');
    assert.equal(applyPronunciations('Dr. Who and dr. no, not Dr.X', [rule('Dr.', 'Doctor')], 'en'), 'Doctor Who and Doctor no, not DoctorX');
    assert.equal(applyPronunciations('.NET rocks', [rule('.NET', 'dot net')], 'en'), 'dot net rocks');
  });
  it('is case-insensitive unless the rule says otherwise', () => {
    assert.equal(applyPronunciations('gif GIF Gif', [rule('GIF', 'jiff')], 'en'), 'jiff jiff jiff');
    assert.equal(applyPronunciations('gif GIF Gif', [rule('GIF', 'jiff', true)], 'en'), 'gif jiff Gif');
  });
  it('prefers the longest word, and never re-replaces a replacement', () => {
    const rules = [rule('New', 'Gnu'), rule('New York', 'Noo Yawk'), rule('Gnu', 'Ga-noo')];
    assert.equal(applyPronunciations('New  York and New Jersey', rules, 'en'), 'Noo Yawk and Gnu Jersey');
  });
  it('falls back to a shorter rule where a case-sensitive longer one does not match', () => {
    const rules = [rule('New York', 'NYC', true), rule('new', 'gnu')];
    assert.equal(applyPronunciations('new york, New York', rules, 'en'), 'gnu york, NYC');
  });
  it('lets a later rule for the same word win', () => {
    assert.equal(applyPronunciations('GIF', [rule('GIF', 'gift'), rule('gif', 'jiff')], 'en'), 'jiff');
  });
  it('applies language-scoped rules only to text in that language (by primary subtag)', () => {
    const rules = [rule('Llais', 'thlice', false, 'en'), rule('ch', 'kh', false, 'cy')];
    assert.equal(applyPronunciations('Llais ch', rules, 'en-us'), 'thlice ch');
    assert.equal(applyPronunciations('Llais ch', rules, 'cy'), 'Llais kh');
    assert.equal(applyPronunciations('Llais ch', [rule('ch', 'kh', false, 'cy-gb')], 'cy'), 'Llais kh');
  });
  it('inserts replacements literally', () => {
    assert.equal(applyPronunciations('cost', [rule('cost', '$& $1')], 'en'), '$& $1');
  });
  it('leaves text alone without rules', () => {
    assert.equal(applyPronunciations('GIF', [], 'en'), 'GIF');
  });
});
