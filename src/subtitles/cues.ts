/**
 * Subtitle cues from timed words, by the usual broadcast rules: at most two lines of 42
 * characters and 7 seconds a cue; a cue ends at a sentence end when one comes, else at the last
 * word that still fits; its two lines are split at the space that balances them best. Cues
 * never overlap and never run past the audio.
 */
import type { TimedWord } from './word-times.js';

export interface CueLimits {
  maxLineChars: number;
  maxLines: number;
  maxSeconds: number;
}

export const DEFAULT_CUE_LIMITS: CueLimits = { maxLineChars: 42, maxLines: 2, maxSeconds: 7 };

export interface Cue {
  start: number;
  end: number;
  lines: string[];
}

const SENTENCE_END = /[.!?…]["')\]]*$/u;

/** The best split of `words` into at most `maxLines` lines of `maxLineChars`, or null if none fits. */
export function layoutLines(words: readonly string[], limits: CueLimits): string[] | null {
  const one = words.join(' ');
  if (one.length <= limits.maxLineChars) return [one];
  if (limits.maxLines < 2) return null;
  let best: string[] | null = null;
  let bestScore = Infinity;
  for (let k = 1; k < words.length; k++) {
    const top = words.slice(0, k).join(' ');
    const bottom = words.slice(k).join(' ');
    if (top.length > limits.maxLineChars || bottom.length > limits.maxLineChars) continue;
    const score = Math.abs(top.length - bottom.length);
    if (score < bestScore) {
      best = [top, bottom];
      bestScore = score;
    }
  }
  return best;
}

/**
 * Greedy: each cue takes words while they fit the limits, and closes early at a sentence end
 * once it holds at least half a line's worth. A single word too long for a line is cut to fit.
 */
export function buildCues(words: readonly TimedWord[], durationSec: number, limits: CueLimits = DEFAULT_CUE_LIMITS): Cue[] {
  const cues: Cue[] = [];
  const list = words.map((w) => ({ ...w, word: w.word.length > limits.maxLineChars ? w.word.slice(0, limits.maxLineChars - 1) + '…' : w.word }));
  let i = 0;
  while (i < list.length) {
    let j = i + 1;
    let lines = layoutLines([list[i]!.word], limits)!;
    while (j < list.length) {
      const next = layoutLines(list.slice(i, j + 1).map((w) => w.word), limits);
      if (next === null || list[j]!.end - list[i]!.start > limits.maxSeconds) break;
      lines = next;
      j++;
      const text = list.slice(i, j).map((w) => w.word).join(' ');
      if (SENTENCE_END.test(list[j - 1]!.word) && text.length >= limits.maxLineChars / 2) break;
    }
    const floor = cues.length > 0 ? cues[cues.length - 1]!.end : 0;
    const start = Math.min(Math.max(list[i]!.start, floor), durationSec);
    // A cue too short to read would flash: it lasts until the next word starts, within limits.
    const nextStart = j < list.length ? list[j]!.start : durationSec;
    const end = Math.min(Math.max(list[j - 1]!.end, Math.min(nextStart, start + limits.maxSeconds)), start + limits.maxSeconds, durationSec);
    cues.push({ start, end: Math.max(end, start), lines });
    i = j;
  }
  return cues.filter((c) => c.end > c.start);
}
