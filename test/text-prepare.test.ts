import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { prepareText } from '../src/text/prepare.js';
import { parsePronunciations } from '../src/text/pronunciations.js';

function assertBadRequest(fn: () => unknown, param: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.param, param);
    return true;
  });
}

describe('prepareText', () => {
  it('normalises the requested language and keeps its region', () => {
    const prepared = prepareText('Hello world.', { language: 'en-US' });
    assert.equal(prepared.language, 'en-us');
    assert.deepEqual(prepared.chunks, ['Hello world.']);
    assert.equal(prepareText('Hello world.', { language: 'en_GB' }).language, 'en-gb');
  });
  it('detects the language when none is given, or when it is "auto"', () => {
    assert.equal(prepareText('Ich habe heute keine Zeit, weil ich arbeiten muss.').language, 'de');
    assert.equal(prepareText('Bonjour, comment allez-vous aujourd\'hui ?', { language: 'auto' }).language, 'fr');
  });
  it('detects on the text without tags, and takes xml:lang from speak', () => {
    const detected = prepareText('<speak><prosody rate="slow">Ich habe heute keine Zeit, weil ich arbeiten muss.</prosody></speak>');
    assert.equal(detected.language, 'de');
    assert.equal(prepareText('<speak xml:lang="cy">Helo</speak>').language, 'cy');
  });
  it('renders SSML in the chosen language, then applies pronunciations, then splits', () => {
    const pronunciations = parsePronunciations([
      { word: 'dollars', replacement: 'bucks' },
      { word: 'GIF', replacement: 'jiff', language: 'en' },
    ]);
    const prepared = prepareText(
      'A <say-as interpret-as="currency">$5</say-as> GIF. It was <say-as interpret-as="ordinal">21</say-as> in line.',
      { language: 'en-US', pronunciations },
    );
    assert.equal(prepared.text, 'A five bucks jiff. It was twenty-first in line.');
    assert.deepEqual(prepared.chunks, ['A five bucks jiff.', 'It was twenty-first in line.']);
    const german = prepareText('Ein GIF kostet <say-as interpret-as="currency">$5</say-as>.', { language: 'de', pronunciations });
    assert.equal(german.text, 'Ein GIF kostet 5 $.');
  });
  it('leaves numbers in plain text to the engine and collapses whitespace', () => {
    const prepared = prepareText('  It costs   $1,234\n on 12/31/1999.  ', { language: 'en' });
    assert.equal(prepared.text, 'It costs $1,234 on 12/31/1999.');
  });
  it('passes chunk sizes through', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    assert.deepEqual(prepareText(text, { language: 'en', firstChunkMaxChars: 10, maxChars: 20 }).chunks, [
      'one two',
      'three four five six',
      'seven eight nine ten',
      'eleven twelve',
    ]);
  });
  it('rejects malformed SSML, empty text and bad languages', () => {
    assertBadRequest(() => prepareText('<say-as interpret-as="cardinal">abc</say-as>'), 'text');
    assertBadRequest(() => prepareText('<speak>  </speak>'), 'text');
    assertBadRequest(() => prepareText('   '), 'text');
    assertBadRequest(() => prepareText('Hello', { language: 'english!' }), 'language');
  });
});
