/**
 * Times for the words as the user wrote them, from timed words of the audio (the engine's own
 * word events, or what a recognizer heard in it). Two alignments carry the times across: timed
 * words onto the spoken text's words, then spoken words onto the written ones (align-runs.ts).
 * Where a block pairs as many words on one side as on the other, they pair up in order; where the
 * counts differ ("42" against "forty two"), the block's span is shared by character count;
 * where words have no timed counterpart at all, they share the gap between their neighbours.
 */
import { alignRuns } from './align-runs.js';

export interface TimedWord {
  word: string;
  start: number;
  end: number;
}

/** `words` spread over [start, end] in proportion to their length. */
function spread(words: readonly string[], start: number, end: number): Array<[number, number]> {
  const weights = words.map((w) => Math.max(1, w.length));
  const total = weights.reduce((s, w) => s + w, 0);
  const out: Array<[number, number]> = [];
  let t = start;
  for (const w of weights) {
    const next = t + ((end - start) * w) / total;
    out.push([t, next]);
    t = next;
  }
  return out;
}

/**
 * Times for `target` words, carried over from `timed` words through their alignment. Words of
 * `target` that no timed word covers share the time between the neighbours that have one
 * (from 0, up to `durationSec`).
 */
export function carryTimes(target: readonly string[], timed: readonly TimedWord[], durationSec: number): Array<[number, number] | null> {
  const times: Array<[number, number] | null> = target.map(() => null);
  for (const run of alignRuns(target, timed.map((t) => t.word))) {
    const [a0, a1] = run.a;
    const [b0, b1] = run.b;
    if (a1 === a0 || b1 === b0) continue;
    if (a1 - a0 === b1 - b0) {
      // As many words on both sides ("42 GIFs" against "forty-two jiffs"): replaced word for word.
      for (let k = 0; k < a1 - a0; k++) times[a0 + k] = [timed[b0 + k]!.start, timed[b0 + k]!.end];
      continue;
    }
    const start = timed[b0]!.start;
    const end = Math.max(start, ...timed.slice(b0, b1).map((t) => t.end));
    spread(target.slice(a0, a1), start, end).forEach((span, k) => (times[a0 + k] = span));
  }
  // Untimed stretches: the gap between the timed neighbours, by characters.
  for (let i = 0; i < times.length; ) {
    if (times[i] !== null) {
      i++;
      continue;
    }
    let j = i;
    while (j < times.length && times[j] === null) j++;
    const from = i > 0 ? times[i - 1]![1] : 0;
    const to = j < times.length ? times[j]![0] : durationSec;
    spread(target.slice(i, j), from, Math.max(from, to)).forEach((span, k) => (times[i + k] = span));
    i = j;
  }
  return times.map((t) => (t ? [clamp(t[0], durationSec), clamp(t[1], durationSec)] : null));
}

function clamp(t: number, durationSec: number): number {
  return Math.min(Math.max(0, t), durationSec);
}

/** Splits text into words on whitespace. */
export function wordsOf(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/**
 * The written words with times: timed words → spoken words → written words. `spoken` is the text
 * the engine was given (SSML rendered, pronunciations applied); `written` is what the user sent,
 * tags removed.
 */
export function timeWrittenWords(written: string, spoken: string, timed: readonly TimedWord[], durationSec: number): TimedWord[] {
  const spokenWords = wordsOf(spoken);
  const spokenTimes = carryTimes(spokenWords, timed, durationSec);
  const spokenTimed = spokenWords.map((word, i) => ({ word, start: spokenTimes[i]![0], end: spokenTimes[i]![1] }));
  const writtenWords = wordsOf(written);
  const writtenTimes = carryTimes(writtenWords, spokenTimed, durationSec);
  return writtenWords.map((word, i) => ({ word, start: writtenTimes[i]![0], end: writtenTimes[i]![1] }));
}
