/**
 * Turns a reply's token stream into speakable sentences for streaming TTS, so the first
 * sentence is synthesized while the LLM is still writing the rest.
 *
 * `SentenceSplitter` merges later sentences up to `maxChars`, which holds each one back until
 * that much text has arrived (and a small `maxChars` cuts at every word, not every sentence).
 * A live reply wants each sentence as soon as it ends, so the pending text is judged by a
 * fresh splitter every time: a fresh splitter releases its first chunk at the first settled
 * sentence end, which is exactly the splitter's own sentence logic with no merging.
 */

import { SentenceSplitter, type SplitOptions } from '../text/sentences.js';
import type { LlmEvent } from './types.js';

export type SentenceEvent =
  | { type: 'sentence'; text: string }
  | Extract<LlmEvent, { type: 'tool_call' }>
  | Extract<LlmEvent, { type: 'done' }>;

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

/**
 * Yields each sentence of the reply's text as soon as it is complete (the first capped at
 * `firstChunkMaxChars`, later ones at `maxChars`); tool calls and `done` pass through, after
 * any text before them. Text never crosses a tool call.
 */
export async function* sentencesFrom(
  events: AsyncIterable<LlmEvent>,
  splitterOpts: SplitOptions = {},
): AsyncGenerator<SentenceEvent> {
  const firstMax = splitterOpts.firstChunkMaxChars ?? DEFAULT_FIRST_CHUNK_MAX_CHARS;
  const laterMax = splitterOpts.maxChars ?? DEFAULT_MAX_CHARS;
  let pending = '';
  let first = true;

  // The next chunk of `pending`, removed from it; null when none is complete yet.
  const next = (final: boolean): string | null => {
    const limit = first ? firstMax : laterMax;
    const splitter = new SentenceSplitter({ firstChunkMaxChars: limit, maxChars: limit });
    const chunks = splitter.push(pending);
    if (final) chunks.push(...splitter.flush());
    const chunk = chunks[0];
    if (chunk === undefined) return null;
    // Chunks are the text with whitespace normalised, so count what was taken in non-space
    // characters.
    pending = pending.slice(rawPrefixLength(pending, chunk.replace(/\s+/g, '').length));
    first = false;
    return chunk;
  };
  const release = function* (final: boolean): Generator<SentenceEvent> {
    for (let text = next(final); text !== null; text = next(final)) yield { type: 'sentence', text };
    if (final) {
      // Only whitespace can be left; the next text starts over with a short first chunk.
      pending = '';
      first = true;
    }
  };

  for await (const ev of events) {
    switch (ev.type) {
      case 'text.delta':
        pending += ev.delta;
        // A non-final pass never empties `pending` of text that is still undecided.
        for (const s of release(false)) yield s;
        break;
      case 'tool_call':
      case 'done':
        for (const s of release(true)) yield s;
        yield ev;
        break;
      default: {
        const unknown: never = ev;
        throw new Error(`unknown LLM event ${(unknown as { type: string }).type}`);
      }
    }
  }
  for (const s of release(true)) yield s;
}
