/**
 * `conversation.item.input_audio_transcription.delta` events of one user turn. Realtime deltas
 * are append-only text, so only the stable words of each partial (stt/live-partial.ts: words
 * two hypotheses agreed on, which never change afterwards) are sent, as they become stable. When
 * the turn's transcript comes, the rest of it is sent as one last delta, so the deltas joined
 * equal `.completed`'s transcript. When the final pass changed a word already sent (deltas cannot
 * take text back), `.completed` is the correction, and the last delta is still the transcript's
 * words past the point the sent words align to: a caption built from deltas keeps the end of the
 * turn rather than stopping at the changed word.
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

  /** The turn's transcript arrived: send the words it has past those already sent. */
  complete(transcript: string): void {
    const words = transcript.split(/\s+/).filter(Boolean);
    const rest = words.slice(alignedPrefix(this.sentText.split(' ').filter(Boolean), words)).join(' ');
    if (rest !== '') this.send(rest);
  }

  private send(text: string): void {
    const delta = this.sentText === '' ? text : ` ${text}`;
    this.sentText += delta;
    this.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: this.itemId, content_index: 0, delta, ...(this.logprobs ? { logprobs: null } : {}) });
  }
}

/**
 * How many of `words` the already-sent words stand for: the prefix of `words` the fewest word edits
 * away from `sent` (ties: the longer, so a changed last word counts as sent). A transcript that
 * continues `sent` gives `sent.length`; one that changed a word gives the position after the
 * changed stretch, so only words the deltas never covered follow.
 */
export function alignedPrefix(sent: readonly string[], words: readonly string[]): number {
  if (sent.length === 0) return 0;
  const norm = (w: string): string => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');
  const a = sent.map(norm);
  const b = words.map(norm);
  // prev[j]: edits between the first i sent words and the first j transcript words.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  let best = 0;
  for (let j = 1; j <= b.length; j++) if (prev[j]! <= prev[best]!) best = j;
  return best;
}
