/**
 * Text pushed piece by piece in, each sentence out as soon as its end is settled: the one
 * sentence releaser of the streaming-reply pipeline. An LLM's token stream (`sentencesFrom`)
 * and a `/v1/tts/ws` client's text messages both go through it.
 *
 * `SentenceSplitter` merges later sentences up to its `maxChars`, which would hold each one back
 * until that much text has arrived (and a small `maxChars` cuts at every word, not every
 * sentence). So the pending text is judged by a fresh splitter every time: a fresh splitter
 * releases its first chunk at the first settled sentence end, which is exactly the splitter's
 * own sentence logic with no merging.
 */
import { SentenceSplitter, type SplitOptions } from '../text/sentences.js';

// The first chunk after a start or flush is short, so the first audio comes early.
const DEFAULT_FIRST_CHUNK_MAX_CHARS = 60;
// Only a sentence longer than this is cut (at a clause, else a word) before it ends.
const DEFAULT_MAX_CHARS = 250;

/** Length of the prefix of `raw` that holds the first `count` non-space characters. */
export function rawPrefixLength(raw: string, count: number): number {
  let seen = 0;
  let i = 0;
  while (i < raw.length && seen < count) {
    if (!/\s/.test(raw[i]!)) seen++;
    i++;
  }
  return i;
}

export class SentenceReleaser {
  #pending = '';
  #first = true;
  readonly #firstMax: number;
  readonly #laterMax: number;

  constructor(opts: SplitOptions = {}) {
    this.#firstMax = opts.firstChunkMaxChars ?? DEFAULT_FIRST_CHUNK_MAX_CHARS;
    this.#laterMax = opts.maxChars ?? DEFAULT_MAX_CHARS;
  }

  /** Characters received and not yet released. */
  get pendingChars(): number {
    return this.#pending.length;
  }

  /** Adds text; returns the sentences it completed (often none). */
  push(text: string): string[] {
    this.#pending += text;
    return this.#release(false);
  }

  /** Releases everything pending, ended or not; the next text starts with a short chunk again. */
  flush(): string[] {
    const out = this.#release(true);
    this.clear();
    return out;
  }

  /** Drops what is pending (a cancel). */
  clear(): void {
    this.#pending = '';
    this.#first = true;
  }

  #release(final: boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const limit = this.#first ? this.#firstMax : this.#laterMax;
      const splitter = new SentenceSplitter({ firstChunkMaxChars: limit, maxChars: limit });
      const chunks = splitter.push(this.#pending);
      if (final) chunks.push(...splitter.flush());
      const chunk = chunks[0];
      if (chunk === undefined) return out;
      // Chunks are whitespace-normalised, so what was taken is counted in non-space characters.
      this.#pending = this.#pending.slice(rawPrefixLength(this.#pending, chunk.replace(/\s+/g, '').length));
      this.#first = false;
      out.push(chunk);
    }
  }
}
