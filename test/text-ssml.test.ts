import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../src/errors.js';
import { parseSsml, renderSsml } from '../src/text/ssml.js';

function assertInvalidSsml(text: string, message?: RegExp): void {
  assert.throws(() => renderSsml(text, 'en'), (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(err.param, 'text');
    assert.equal(err.code, 'invalid_ssml');
    assert.equal(err.toEnvelope().error.type, 'invalid_request_error');
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('SSML rendering', () => {
  it('passes text without tags through unchanged', () => {
    const plain = 'Hello  world.\nNumbers like 1234 stay as digits.';
    assert.equal(renderSsml(plain, 'en'), plain);
  });
  it('treats a "<" that does not start a tag as text', () => {
    for (const text of ['a < b', 'x<3', 'why<?', 'a<!b', 'I <3 you', 'if a<b and c>d then', '5 <= 6', 'a <s and b>c', '<<>>', 'tail <']) {
      assert.equal(renderSsml(text, 'en'), text, text);
    }
  });
  it('renders say-as inside speak', () => {
    assert.equal(
      renderSsml('<speak>It costs <say-as interpret-as="currency">$1,234.56</say-as> today.</speak>', 'en'),
      'It costs one thousand two hundred thirty-four dollars and fifty-six cents today.',
    );
    assert.equal(
      renderSsml("<say-as interpret-as='date' format='dmy'>02/01/2005</say-as>", 'en'),
      'January second, two thousand five',
    );
  });
  it('strips other tags, nested, to their text', () => {
    assert.equal(
      renderSsml('<speak><prosody rate="slow"><emphasis level="strong">Very</emphasis> <voice name="x">good</voice></prosody><mark name="m1"/>!</speak>', 'en'),
      'Very good!',
    );
    assert.equal(renderSsml('<speak>Say <phoneme alphabet="ipa" ph="təmɑːtəʊ">tomato</phoneme>.</speak>', 'en'), 'Say tomato.');
  });
  it('renders say-as nested in other elements, and elements inside say-as by their text', () => {
    assert.equal(
      renderSsml('<speak><p>Call <say-as interpret-as="telephone"><emphasis>555-1234</emphasis></say-as></p></speak>', 'en'),
      'Call five five five, one two three four.',
    );
  });
  it('speaks a sub element as its alias', () => {
    assert.equal(renderSsml('<speak><sub alias="World Wide Web">WWW</sub></speak>', 'en'), 'World Wide Web');
  });
  it('decodes entities in text and attributes', () => {
    assert.equal(renderSsml('<speak>Tom &amp; Jerry &lt;3 &#39;hi&#39; &#x263A; &quot;q&quot; &apos;</speak>', 'en'), 'Tom & Jerry <3 \'hi\' ☺ "q" \'');
    assert.equal(renderSsml('<sub alias="R &amp; D">R&amp;D</sub>', 'en'), 'R & D');
    assert.equal(renderSsml('AT&amp;T and AT&T; and &bogus;', 'en'), 'AT&T and AT&T; and &bogus;');
  });
  it('turns breaks into a comma, or a full stop for long or strong ones, never doubling punctuation', () => {
    assert.equal(renderSsml('<speak>Wait<break/> for it</speak>', 'en'), 'Wait, for it');
    assert.equal(renderSsml('<speak>Wait<break time="300ms"/>for it</speak>', 'en'), 'Wait, for it');
    assert.equal(renderSsml('<speak>Wait<break time="1s"/> for it</speak>', 'en'), 'Wait. for it');
    assert.equal(renderSsml('<speak>Wait<break strength="x-strong"/> Now</speak>', 'en'), 'Wait. Now');
    assert.equal(renderSsml('<speak>Done.<break time="2s"/> Next</speak>', 'en'), 'Done. Next');
    assert.equal(renderSsml('<speak>Well,<break strength="strong"/> then</speak>', 'en'), 'Well. then');
    assert.equal(renderSsml('<speak>no<break strength="none"/>pause</speak>', 'en'), 'nopause');
    assert.equal(renderSsml('<speak><break/>Start</speak>', 'en'), 'Start');
  });
  it('ends sentences and paragraphs at s and p', () => {
    assert.equal(renderSsml('<speak><s>One</s><s>Two</s></speak>', 'en'), 'One. Two.');
    assert.equal(renderSsml('<speak>\n  <p>Heading</p>\n  <p>Body text.</p>\n</speak>', 'en'), 'Heading.\n\nBody text.');
  });
  it('collapses markup indentation', () => {
    assert.equal(renderSsml('<speak>\n   Hello\n      world\n</speak>', 'en'), 'Hello world');
  });
  it('skips comments, processing instructions and doctype, and keeps CDATA as text', () => {
    assert.equal(
      renderSsml('<?xml version="1.0"?><!DOCTYPE speak><speak><!-- note -->Hi <![CDATA[a <b> & c]]></speak>', 'en'),
      'Hi a <b> & c',
    );
  });
  it('accepts tags in any case and self-closing forms', () => {
    assert.equal(renderSsml('<SPEAK>Number <SAY-AS INTERPRET-AS="cardinal">7</SAY-AS><Break /></SPEAK>', 'en'), 'Number seven,');
  });
  it('renders say-as in the language of an enclosing xml:lang', () => {
    assert.equal(
      renderSsml('<speak xml:lang="fr-FR"><say-as interpret-as="date">31/12/1999</say-as></speak>', 'en'),
      '31 décembre 1999',
    );
    assert.equal(
      renderSsml('<speak>A <lang xml:lang="de">am <say-as interpret-as="cardinal">3.5</say-as></lang></speak>', 'en'),
      'A am 3,5',
    );
  });
  it('reports the speak element language', () => {
    assert.equal(parseSsml('<speak xml:lang="cy-GB">Helo</speak>').language, 'cy-gb');
    assert.equal(parseSsml('<speak>Helo</speak>').language, undefined);
    assert.equal(parseSsml('plain').isMarkup, false);
  });
});

describe('SSML errors', () => {
  it('rejects an unclosed say-as', () => {
    assertInvalidSsml('<speak><say-as interpret-as="cardinal">5</speak>', /does not match <say-as>/);
    assertInvalidSsml('<say-as interpret-as="cardinal">5', /<say-as> is not closed/);
  });
  it('rejects a mismatched or unopened end tag', () => {
    assertInvalidSsml('<speak><emphasis>hi</prosody></speak>', /<\/prosody> does not match <emphasis>/);
    assertInvalidSsml('hello</speak>', /no matching start tag/);
  });
  it('rejects an unknown interpret-as', () => {
    assertInvalidSsml('<say-as interpret-as="bleep">x</say-as>', /interpret-as "bleep" is not supported/);
  });
  it('rejects say-as content that does not fit its type', () => {
    assertInvalidSsml('<say-as interpret-as="cardinal">abc</say-as>', /"abc" is not a number/);
    assertInvalidSsml('<say-as interpret-as="date">2023-02-30</say-as>', /not a valid date/);
  });
  it('rejects say-as without interpret-as', () => {
    assertInvalidSsml('<say-as format="mdy">12/31/1999</say-as>', /needs an interpret-as/);
  });
  it('rejects SSML tags with unquoted attributes', () => {
    assertInvalidSsml('<speak>Wait <break time=500ms/> now</speak>', /malformed SSML tag/);
    assertInvalidSsml('<say-as interpret-as=cardinal>5</say-as>', /malformed SSML tag/);
  });
  it('rejects bad break attributes', () => {
    assertInvalidSsml('<break time="soon"/>', /not a duration/);
    assertInvalidSsml('<break strength="huge"/>', /strength/);
  });
  it('rejects an unterminated comment', () => {
    assertInvalidSsml('<speak><!-- never closed</speak>', /comment/);
  });
});
