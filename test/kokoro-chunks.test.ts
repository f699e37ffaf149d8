/**
 * Cutting Kokoro phonemes into pieces of at most 510 tokens, after punctuation (strongest
 * first, as hexgrad/kokoro's waterfall does), with an optional short first piece for streaming.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIN_FIRST_CHUNK_TOKENS, chunkPhonemes } from '../src/engines/tts/kokoro/chunks.js';
import { tokenize } from '../src/engines/tts/kokoro/vocab.js';

const tokens = (s: string) => Array.from(s).length;
/** The text with every whitespace run made one space: what the pieces must add back up to. */
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Sentence-sized phoneme runs of known lengths. */
const clause = (n: number, word = 'ðə kˈæt sˈæt ') => word.repeat(Math.ceil(n / word.length)).slice(0, n).trim();

function assertPieces(input: string, pieces: string[], maxTokens = 510): void {
  assert.ok(pieces.length > 0);
  for (const p of pieces) {
    assert.ok(tokens(p) <= maxTokens, `piece of ${tokens(p)} tokens`);
    assert.equal(tokenize(p).length, tokens(p), 'every symbol is a token');
    assert.equal(p, p.trim());
    assert.notEqual(p, '');
  }
  assert.equal(pieces.join(' '), squash(input), 'nothing lost, nothing reordered');
}

describe('chunkPhonemes', () => {
  it('keeps input of 510 tokens or fewer whole', () => {
    const text = clause(505) + '.';
    assert.deepEqual(chunkPhonemes(text), [text]);
    assert.deepEqual(chunkPhonemes('  həlˈO.  '), ['həlˈO.']);
    assert.deepEqual(chunkPhonemes(''), []);
  });

  it('never exceeds 510 tokens and cuts after sentence ends when they fall in the second half', () => {
    const sentences = Array.from({ length: 12 }, (_, i) => clause(90 + i * 7) + (i % 3 === 0 ? '!' : '.'));
    const text = sentences.join(' ');
    assert.ok(tokens(text) > 1500);
    const pieces = chunkPhonemes(text);
    assertPieces(text, pieces);
    for (const p of pieces.slice(0, -1)) assert.match(p, /[.!]$/, `a piece ends mid-sentence: …${p.slice(-20)}`);
    for (const p of pieces.slice(0, -1)) assert.ok(tokens(p) >= 255, 'no piece is cut in its first half when a sentence end is later');
  });

  it('prefers a sentence end to a later comma, and a comma to a later word gap', () => {
    const text = `${clause(300)}. ${clause(180)}, ${clause(100)}`;
    assert.equal(chunkPhonemes(text)[0], `${clause(300)}.`);
    const commas = `${clause(400)}, ${clause(300)}`;
    assert.equal(chunkPhonemes(commas)[0], `${clause(400)},`);
  });

  it('cuts at the last word gap when no punctuation falls late enough', () => {
    const text = `${clause(20)}. ${clause(900)}`;
    const pieces = chunkPhonemes(text);
    assertPieces(text, pieces);
    assert.ok(tokens(pieces[0]) > 400, 'the early full stop is too early to cut at');
  });

  it('cuts a run of more than 510 tokens without a gap at exactly 510', () => {
    const run = 'ə'.repeat(1200);
    const pieces = chunkPhonemes(run);
    assert.deepEqual(pieces.map(tokens), [510, 510, 180]);
    assert.equal(pieces.join(''), run);
  });

  it('keeps a closing quote or parenthesis with the punctuation before it', () => {
    const text = `“${clause(400)}.” ${clause(300)}`;
    assert.equal(chunkPhonemes(text)[0], `“${clause(400)}.”`);
  });

  it('honours a smaller maxTokens and refuses one above 510', () => {
    const text = Array.from({ length: 20 }, () => clause(40) + ',').join(' ');
    assertPieces(text, chunkPhonemes(text, { maxTokens: 100 }), 100);
    assert.throws(() => chunkPhonemes(text, { maxTokens: 511 }), RangeError);
    assert.throws(() => chunkPhonemes(text, { maxTokens: 0 }), RangeError);
  });

  it('streaming: a short first piece ending at the first clause, then full pieces', () => {
    const text = `${clause(30)}, ${clause(40)}. ` + Array.from({ length: 10 }, () => clause(120) + '.').join(' ');
    const pieces = chunkPhonemes(text, { firstChunkMaxTokens: 60 });
    assertPieces(text, pieces);
    assert.equal(pieces[0], `${clause(30)},`);
    assert.ok(tokens(pieces[1]) > 255);
    assert.ok(tokens(pieces[0]) >= MIN_FIRST_CHUNK_TOKENS);
  });

  it('streaming: without punctuation in reach the first piece ends at a word gap', () => {
    const text = clause(700);
    const pieces = chunkPhonemes(text, { firstChunkMaxTokens: 50 });
    assertPieces(text, pieces);
    assert.ok(tokens(pieces[0]) <= 50 && tokens(pieces[0]) >= 40, `first piece of ${tokens(pieces[0])}`);
    assert.throws(() => chunkPhonemes(text, { firstChunkMaxTokens: 0 }), RangeError);
  });
});
