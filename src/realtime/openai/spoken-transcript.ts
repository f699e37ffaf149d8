/**
 * What an assistant audio item said and when: its sentences on the item's audio clock, with the
 * engine's word timings where it gave them. A barge-in or a client's
 * `conversation.item.truncate` cuts the transcript to what had been heard.
 */
import type { WordTiming } from '../../audio/pcm.js';

interface SpokenSentence {
  text: string;
  /** Where the sentence starts in the item's audio, in ms. */
  startMs: number;
  /** Item-clock word times in ms, when the engine gave them. */
  words: WordTiming[];
  /** Length of its audio in ms, once known. */
  durationMs: number;
}

export class SpokenTranscript {
  private readonly sentences: SpokenSentence[] = [];

  /** A sentence starts at `startMs` of the item's audio. */
  start(text: string, startMs: number): void {
    this.sentences.push({ text, startMs, words: [], durationMs: 0 });
  }

  /** Word times (seconds from the current sentence's start) from the engine. */
  words(words: readonly WordTiming[]): void {
    const s = this.sentences.at(-1);
    if (!s) return;
    for (const w of words) s.words.push({ word: w.word, start: w.start * 1000 + s.startMs, end: w.end * 1000 + s.startMs });
  }

  /** The current sentence's audio has ended. */
  end(durationMs: number): void {
    const s = this.sentences.at(-1);
    if (s) s.durationMs = durationMs;
  }

  get hasAudio(): boolean {
    return this.sentences.length > 0;
  }

  /**
   * The transcript heard by `audioEndMs`: whole words by their timings where the engine gave
   * them, else the share of the sentence's characters.
   */
  heardBy(audioEndMs: number): string {
    const kept: string[] = [];
    for (const s of this.sentences) {
      if (s.startMs >= audioEndMs) break;
      const end = s.startMs + s.durationMs;
      if (s.durationMs > 0 && end <= audioEndMs) {
        kept.push(s.text);
        continue;
      }
      if (s.words.length > 0) {
        const heard = s.words.filter((w) => w.end <= audioEndMs).map((w) => w.word);
        if (heard.length > 0) kept.push(heard.join(' '));
      } else if (s.durationMs > 0) {
        const share = (audioEndMs - s.startMs) / s.durationMs;
        const cut = s.text.slice(0, Math.floor(s.text.length * share)).replace(/\S*$/, '').trim();
        if (cut) kept.push(cut);
      }
      break;
    }
    return kept.join(' ');
  }
}
