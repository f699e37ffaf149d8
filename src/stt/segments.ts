/**
 * Recognized words grouped into transcript segments, the way subtitles and Whisper's output cut
 * them: a new segment at every pause of half a second or more, and before a segment would run
 * past 15 s. Incremental, so that segments can leave (to diarization, to a streaming response) as
 * soon as no later word can join them.
 */
import type { TranscriptSegment, TranscriptWord } from './transcript.js';

/** A gap between words at least this long (seconds) ends a segment. */
export const SEGMENT_PAUSE_SEC = 0.5;
/** A segment never spans more than this (seconds); a readable subtitle, half a Whisper window. */
export const MAX_SEGMENT_SEC = 15;

export class SegmentBuilder {
  private words: TranscriptWord[] = [];

  /** `keepWords`: each segment carries its words (for word-level timestamps). */
  constructor(private readonly keepWords: boolean) {}

  /** Start of the segment still open, or null when none is. */
  get openStart(): number | null {
    return this.words[0]?.start ?? null;
  }

  /** Adds the next word (in time order); returns the segment it closed by starting a new one. */
  push(word: TranscriptWord): TranscriptSegment | null {
    const first = this.words[0];
    const last = this.words[this.words.length - 1];
    const closed =
      first !== undefined && last !== undefined && (word.start - last.end >= SEGMENT_PAUSE_SEC || word.end - first.start > MAX_SEGMENT_SEC)
        ? this.flush()
        : null;
    this.words.push(word);
    return closed;
  }

  /** Closes the open segment if `nowSec` is already a pause past its last word: nothing later can join it. */
  closeIfPausedBefore(nowSec: number): TranscriptSegment | null {
    const last = this.words[this.words.length - 1];
    return last !== undefined && nowSec - last.end >= SEGMENT_PAUSE_SEC ? this.flush() : null;
  }

  /** Closes the open segment, if any. */
  flush(): TranscriptSegment | null {
    const words = this.words;
    if (words.length === 0) return null;
    this.words = [];
    const segment: TranscriptSegment = {
      start: words[0]!.start,
      end: words[words.length - 1]!.end,
      text: words.map((w) => w.word).join(' '),
    };
    if (this.keepWords) segment.words = words;
    return segment;
  }
}
