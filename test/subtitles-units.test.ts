/**
 * The subtitle pieces on inputs whose answer is known: word alignment with insertions and
 * deletions, times carried from spoken words back to written ones ("42" from "forty-two",
 * "GIF" from "jiff", "Dr." and "1999" as written), and cue layout within the broadcast limits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alignRuns, normalizeWord } from '../src/subtitles/align-runs.js';
import { buildCues, DEFAULT_CUE_LIMITS, layoutLines } from '../src/subtitles/cues.js';
import { writtenAndSpoken } from '../src/subtitles/job-subtitles.js';
import { carryTimes, timeWrittenWords, wordsOf, type TimedWord } from '../src/subtitles/word-times.js';
import type { SpeechSpec } from '../src/tts/speech-spec.js';

describe('word alignment', () => {
  it('keeps equal words as matches and pairs what lies between them', () => {
    const runs = alignRuns(['Dr.', 'Smith', 'has', '42', 'apples.'], ['doctor', 'smith', 'has', 'forty', 'two', 'apples']);
    assert.deepEqual(runs, [
      { a: [0, 1], b: [0, 1], match: false },
      { a: [1, 2], b: [1, 2], match: true },
      { a: [2, 3], b: [2, 3], match: true },
      { a: [3, 4], b: [3, 5], match: false },
      { a: [4, 5], b: [5, 6], match: true },
    ]);
    assert.deepEqual(alignRuns(['a', 'b'], []), [{ a: [0, 2], b: [0, 0], match: false }]);
    assert.deepEqual(alignRuns(['x', 'b'], ['b', 'y']), [{ a: [0, 1], b: [0, 0], match: false }, { a: [1, 2], b: [0, 1], match: true }, { a: [2, 2], b: [1, 2], match: false }]);
    assert.equal(normalizeWord('Time.'), 'time');
    assert.equal(normalizeWord('"Café!"'), normalizeWord('cafe'));
  });

  it('gives untimed words the gap between their timed neighbours, by characters', () => {
    const timed: TimedWord[] = [{ word: 'one', start: 0, end: 1 }, { word: 'four', start: 4, end: 5 }];
    const times = carryTimes(['one', 'two', 'three', 'four'], timed, 6);
    assert.deepEqual(times[0], [0, 1]);
    assert.deepEqual(times[3], [4, 5]);
    assert.ok(Math.abs(times[1]![0] - 1) < 1e-9 && Math.abs(times[2]![1] - 4) < 1e-9, 'the gap 1..4 is shared');
    assert.ok(times[2]![1] - times[2]![0] > times[1]![1] - times[1]![0], '"three" is longer than "two"');
  });
});

describe('written words from spoken ones', () => {
  it('recomputes the spoken text as synthesis did and keeps the written one without tags', () => {
    const spec = { text: 'Dr. Smith: <say-as interpret-as="cardinal">42</say-as> GIFs in 1999.', language: 'en', pronunciations: [{ word: 'GIFs', replacement: 'jiffs', caseSensitive: false }] } as unknown as SpeechSpec;
    const { written, spoken } = writtenAndSpoken(spec);
    assert.equal(written, 'Dr. Smith: 42 GIFs in 1999.');
    assert.match(spoken, /forty-two jiffs in 1999/);
  });

  it('times the written words from a recognizer that heard the expansions', () => {
    const written = 'Dr. Smith bought 42 GIFs in 1999.';
    const spoken = 'Dr. Smith bought forty-two jiffs in 1999.';
    // What a recognizer makes of it: lowercase, expansions split, a word missed.
    const heard: TimedWord[] = [
      { word: 'doctor', start: 0.1, end: 0.5 }, { word: 'smith', start: 0.5, end: 0.9 }, { word: 'bought', start: 1.0, end: 1.3 },
      { word: 'forty', start: 1.3, end: 1.6 }, { word: 'two', start: 1.6, end: 1.9 }, { word: 'jiffs', start: 2.0, end: 2.4 },
      { word: 'nineteen', start: 2.6, end: 3.0 }, { word: 'ninety', start: 3.0, end: 3.3 }, { word: 'nine', start: 3.3, end: 3.6 },
    ];
    const words = timeWrittenWords(written, spoken, heard, 4);
    assert.deepEqual(words.map((w) => w.word), wordsOf(written), 'the words as written, in order');
    const at = (w: string): TimedWord => words.find((x) => x.word === w)!;
    assert.deepEqual([at('Smith').start, at('Smith').end], [0.5, 0.9]);
    assert.deepEqual([at('42').start, at('42').end], [1.3, 1.9], '"42" spans "forty two"');
    assert.deepEqual([at('GIFs').start, at('GIFs').end], [2.0, 2.4], '"GIFs" takes the time of "jiffs"');
    assert.ok(at('1999.').start >= 2.4 && at('1999.').end <= 4, '"1999." lies after "jiffs" and inside the audio');
    for (let i = 1; i < words.length; i++) assert.ok(words[i]!.start >= words[i - 1]!.start, 'times never run backwards');
  });
});

describe('cue layout', () => {
  it('keeps every cue to two lines of 42 characters and 7 seconds, inside the audio, never overlapping', () => {
    const text = 'It was a bright cold day in April, and the clocks were striking thirteen. Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, slipped quickly through the glass doors of Victory Mansions, though not quickly enough to prevent a swirl of gritty dust from entering along with him. Supercalifragilisticexpialidociousnessismsfortyfourcharacters!';
    const words = wordsOf(text);
    // Slow speech, half a second a word, so the 7 s limit binds as well as the line length.
    const timed = words.map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.45 }));
    const duration = words.length * 0.5;
    const cues = buildCues(timed, duration);
    assert.ok(cues.length >= 5);
    let previousEnd = 0;
    for (const c of cues) {
      assert.ok(c.lines.length >= 1 && c.lines.length <= DEFAULT_CUE_LIMITS.maxLines, JSON.stringify(c));
      for (const line of c.lines) assert.ok(line.length <= DEFAULT_CUE_LIMITS.maxLineChars, line);
      assert.ok(c.end - c.start <= DEFAULT_CUE_LIMITS.maxSeconds + 1e-9 && c.end > c.start);
      assert.ok(c.start >= previousEnd - 1e-9 && c.end <= duration);
      previousEnd = c.end;
    }
    const shown = cues.flatMap((c) => c.lines.join(' ').split(' '));
    assert.equal(shown.length, words.length, 'every word is shown once');
    assert.ok(cues.some((c) => c.lines.join(' ').endsWith('thirteen.')), 'a cue closes at a sentence end');
  });

  it('balances two lines', () => {
    assert.deepEqual(layoutLines('the quick brown fox jumps over the lazy dog and runs far away'.split(' '), DEFAULT_CUE_LIMITS), ['the quick brown fox jumps over', 'the lazy dog and runs far away']);
    assert.equal(layoutLines(Array.from({ length: 30 }, () => 'word'), DEFAULT_CUE_LIMITS), null);
  });
});
