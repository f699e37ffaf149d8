/**
 * The built-in responder used when no LLM is configured: it says back what the user said,
 * word by word, so the live pipeline can be run and tested offline.
 */

import type { ChatMessage, LlmEvent, ReplyOptions, Responder } from './types.js';

/** Said when the last user message is missing or blank. */
export const ECHO_EMPTY_REPLY = "I didn't catch that.";

export class EchoResponder implements Responder {
  async *reply(messages: ChatMessage[], opts: ReplyOptions): AsyncGenerator<LlmEvent> {
    let said = '';
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      if (m.role === 'user') {
        said = m.content.trim();
        break;
      }
    }
    const text = said || ECHO_EMPTY_REPLY;
    let tokens = 0;
    // Each word keeps its trailing whitespace so the deltas join back into the text.
    for (const [word] of text.matchAll(/\S+\s*/g)) {
      opts.signal.throwIfAborted();
      // Each word counts as one token here: an echo has no tokenizer, and a word is the unit it sends.
      if (opts.maxOutputTokens !== undefined && tokens >= opts.maxOutputTokens) {
        yield { type: 'done', finishReason: 'length' };
        return;
      }
      tokens++;
      yield { type: 'text.delta', delta: word };
    }
    opts.signal.throwIfAborted();
    yield { type: 'done', finishReason: 'stop' };
  }
}
