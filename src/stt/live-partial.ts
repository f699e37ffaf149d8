/**
 * Partial results of a live turn: the recognizer's running hypothesis, turned into what captions
 * show. Two rules live here, in the thread that decodes, so that nothing is sent that would be
 * thrown away:
 *
 * - throttle: a partial goes out only when its text changed, and at most every
 *   PARTIAL_INTERVAL_MS of wall-clock time (a caption refreshing faster is not read faster);
 * - stable prefix: a word is stable once two successive partials agree on it and on every word
 *   before it, and it ends STABLE_LAG_SEC before the newest word does. Stable words never change
 *   afterwards: later hypotheses are shown after them (aligned by time), so a caption does not
 *   flicker, and an append-only protocol (Realtime's `delta` events) can send them as they come.
 */
import type { TranscriptWord } from './transcript.js';

/** At most this often (wall clock) a turn's partial is sent; ~5 refreshes a second. */
export const PARTIAL_INTERVAL_MS = 200;
/**
 * A word ending this close to the newest word's end is not stable yet, however often it was
 * heard: the search may still re-segment the last half-second (PocketSphinx turned "smooth
 * planks, and" from "smooth blimps" into "smooth play understand" at a pause).
 */
const STABLE_LAG_SEC = 0.3;
/** Words of a new hypothesis starting this close before the last stable word's end still follow it (frame rounding). */
const ALIGN_TOLERANCE_SEC = 0.02;

/** One partial result: the turn's words so far, the first `stableWords` of which are final. */
export interface LivePartial {
  /** The words joined by spaces. */
  text: string;
  /** Timed in seconds from the turn's start. */
  words: TranscriptWord[];
  /** How many leading words will not change any more. */
  stableWords: number;
}

/** Tracks one turn's partials; `offer` the running hypothesis as often as is convenient. */
export class PartialHypothesis {
  private readonly stable: TranscriptWord[] = [];
  private previous: string[] = [];
  private lastText = '';
  private lastStable = 0;
  private lastSentAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs = PARTIAL_INTERVAL_MS) {}

  /** Whether a partial offered at `nowMs` could be sent (lets the caller skip reading the hypothesis). */
  due(nowMs: number): boolean {
    return nowMs - this.lastSentAtMs >= this.intervalMs;
  }

  /** How long from `nowMs` until a partial could be sent again. */
  waitMs(nowMs: number): number {
    return Math.max(0, this.lastSentAtMs + this.intervalMs - nowMs);
  }

  /** The partial to send for `hypothesis` (the turn's words so far) at `nowMs`, or null: too soon, or nothing changed. */
  offer(hypothesis: readonly TranscriptWord[], nowMs: number): LivePartial | null {
    if (!this.due(nowMs)) return null;
    const stableEnd = this.stable.at(-1)?.end ?? Number.NEGATIVE_INFINITY;
    const tail = hypothesis.filter((w) => w.start >= stableEnd - ALIGN_TOLERANCE_SEC);
    const words = [...this.stable, ...tail.map((w) => ({ word: w.word, start: w.start, end: w.end }))];
    const settledBefore = (words.at(-1)?.end ?? 0) - STABLE_LAG_SEC;
    for (let k = this.stable.length; k < words.length - 1 && words[k]!.word === this.previous[k] && words[k]!.end <= settledBefore; k++) this.stable.push(words[k]!);
    this.previous = words.map((w) => w.word);
    const text = this.previous.join(' ');
    if (text === this.lastText && this.stable.length === this.lastStable) return null;
    this.lastText = text;
    this.lastStable = this.stable.length;
    this.lastSentAtMs = nowMs;
    return { text, words, stableWords: this.stable.length };
  }
}
