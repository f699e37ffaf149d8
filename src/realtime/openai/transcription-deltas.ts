/**
 * `conversation.item.input_audio_transcription.delta` events of one user turn. Realtime deltas
 * are append-only text, so only the stable words of each partial (stt/live-partial.ts: words
 * two hypotheses agreed on, which never change afterwards) are sent, as they become stable. When
 * the turn's transcript comes, the rest of it is sent as one last delta if it continues what was
 * sent, so the deltas joined equal `.completed`'s transcript; when the final pass changed an
 * earlier word, `.completed` is the correction.
 */
import type { LivePartial } from '../../stt/live-partial.js';
import type { ServerEvent } from './server-events.js';

export class TranscriptionDeltas {
  private sentWords = 0;
  private sentText = '';

  constructor(
    private readonly itemId: string,
    private readonly emit: (event: ServerEvent) => void,
    /** `include` asked for logprobs: the live recognizers have none, which is said with `null`. */
    private readonly logprobs: boolean,
  ) {}

  /** A partial arrived: send the words that became stable since the last one. */
  partial(p: LivePartial): void {
    if (p.stableWords <= this.sentWords) return;
    const words = p.words.slice(this.sentWords, p.stableWords).map((w) => w.word);
    this.sentWords = p.stableWords;
    this.send(words.join(' '));
  }

  /** The turn's transcript arrived: send what it adds to the deltas, when it continues them. */
  complete(transcript: string): void {
    const continues = this.sentText === '' || transcript === this.sentText || transcript.startsWith(`${this.sentText} `);
    if (!continues) return;
    const rest = transcript.slice(this.sentText.length).trim();
    if (rest !== '') this.send(rest);
  }

  private send(text: string): void {
    const delta = this.sentText === '' ? text : ` ${text}`;
    this.sentText += delta;
    this.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: this.itemId, content_index: 0, delta, ...(this.logprobs ? { logprobs: null } : {}) });
  }
}
