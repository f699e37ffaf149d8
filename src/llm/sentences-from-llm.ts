/**
 * Turns a reply's token stream into speakable sentences for streaming TTS, so the first
 * sentence is synthesized while the LLM is still writing the rest: the async-iterable face of
 * `SentenceReleaser`.
 */
import type { SplitOptions } from '../text/sentences.js';
import { SentenceReleaser } from './sentence-releaser.js';
import type { LlmEvent } from './types.js';

export { rawPrefixLength } from './sentence-releaser.js';

export type SentenceEvent =
  | { type: 'sentence'; text: string }
  | Extract<LlmEvent, { type: 'tool_call' }>
  | Extract<LlmEvent, { type: 'done' }>;

/** What one LLM event releases: sentences, then the event itself for a tool call or `done`. */
export function releaseFor(releaser: SentenceReleaser, ev: LlmEvent): SentenceEvent[] {
  switch (ev.type) {
    case 'text.delta':
      return releaser.push(ev.delta).map((text) => ({ type: 'sentence', text }));
    case 'tool_call':
    case 'done':
      // Text never crosses a tool call: what came before it is spoken before it.
      return [...releaser.flush().map((text): SentenceEvent => ({ type: 'sentence', text })), ev];
    default: {
      const unknown: never = ev;
      throw new Error(`unknown LLM event ${(unknown as { type: string }).type}`);
    }
  }
}

/**
 * Yields each sentence of the reply's text as soon as it is complete (the first capped at
 * `firstChunkMaxChars`, later ones at `maxChars`); tool calls and `done` pass through, after
 * any text before them. Text never crosses a tool call.
 */
export async function* sentencesFrom(events: AsyncIterable<LlmEvent>, splitterOpts: SplitOptions = {}): AsyncGenerator<SentenceEvent> {
  const releaser = new SentenceReleaser(splitterOpts);
  for await (const ev of events) yield* releaseFor(releaser, ev);
  for (const text of releaser.flush()) yield { type: 'sentence', text };
}
