import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignedPrefix, TranscriptionDeltas } from '../src/realtime/openai/transcription-deltas.js';
import type { ServerEvent } from '../src/realtime/openai/server-events.js';

/** Deltas of one turn: `stable` partials (each the words and how many are stable), then the transcript. */
function run(partials: Array<[string, number]>, transcript: string): string[] {
  const sent: string[] = [];
  const deltas = new TranscriptionDeltas('item_1', (e: ServerEvent) => {
    if (e.type === 'conversation.item.input_audio_transcription.delta') sent.push(e.delta);
  }, false);
  for (const [text, stableWords] of partials) deltas.partial({ text, words: text.split(' ').map((word, i) => ({ word, start: i, end: i + 0.5 })), stableWords });
  deltas.complete(transcript);
  return sent;
}

describe('realtime transcription deltas', () => {
  it('send stable words as they settle, then what the transcript adds: joined, they are the transcript', () => {
    const sent = run([['the birch', 1], ['the birch canoe slid', 3]], 'the birch canoe slid on the smooth planks');
    assert.deepEqual(sent, ['the', ' birch canoe', ' slid on the smooth planks']);
    assert.equal(sent.join(''), 'the birch canoe slid on the smooth planks');
  });

  it('send nothing more when the transcript is what was sent, and all of it when nothing was', () => {
    assert.deepEqual(run([['glue the sheet', 3]], 'glue the sheet'), ['glue the sheet']);
    assert.deepEqual(run([], 'glue the sheet'), ['glue the sheet']);
    assert.deepEqual(run([], ''), []);
  });

  it('after a correction of a word already sent, still send the words past it (a CI run lost the turn\'s end here)', () => {
    const sent = run(
      [['the birch can you slid on the smooth blimps the boy blue sheet', 13]],
      'the birch can you slid on the smooth play understand the boy blue sheet to the dark blue background',
    );
    assert.deepEqual(sent.slice(1), [' to the dark blue background']);
  });

  it('match words across case and punctuation (a Whisper transcript is written, the partials were not)', () => {
    assert.deepEqual(run([['hello world', 2]], 'Hello, world. How are you?'), ['hello world', ' How are you?']);
  });

  it('alignedPrefix: the transcript prefix the sent words stand for', () => {
    assert.equal(alignedPrefix([], ['a', 'b']), 0);
    assert.equal(alignedPrefix(['a', 'b'], ['a', 'b', 'c']), 2);
    assert.equal(alignedPrefix(['a', 'b', 'c'], ['a', 'b', 'x', 'd']), 3, 'a substituted last word counts as sent');
    assert.equal(alignedPrefix(['a', 'x', 'c'], ['a', 'y', 'z', 'c', 'd']), 4, 'one word heard as two');
    assert.equal(alignedPrefix(['a', 'b', 'c'], ['a', 'b']), 2, 'the final pass dropped a word: nothing follows');
    assert.equal(alignedPrefix(['a', 'b', 'c', 'c'], ['a', 'b', 'c', 'c', 'd']), 4, 'a repeated word is not taken for the next');
  });
});
