/**
 * Text pushed piece by piece in, each sentence out as soon as its end is settled: the push-based
 * form of `sentencesFrom` (src/llm/sentences-from-llm.ts), for a session whose text arrives as
 * client messages rather than an async stream.
 *
 * `SentenceSplitter` merges later sentences up to its `maxChars`, which would hold each one back;
 * so, as in `sentencesFrom`, the pending text is judged by a fresh splitter every time, which
 * releases its first chunk at the first settled sentence end.
 */
import { rawPrefixLength } from '../llm/sentences-from-llm.js';
import { SentenceSplitter } from '../text/sentences.js';

// The first chunk after a start or flush is short, so the first audio comes early.
const FIRST_CHUNK_MAX_CHARS = 60;
// Only a sentence longer than this is cut (at a clause, else a word) before it ends.
const MAX_CHARS = 250;

export class SentenceReleaser {
  #pending = '';
  #first = true;

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

  clear(): void {
    this.#pending = '';
    this.#first = true;
  }

  #release(final: boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const limit = this.#first ? FIRST_CHUNK_MAX_CHARS : MAX_CHARS;
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
