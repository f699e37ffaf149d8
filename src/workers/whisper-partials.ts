/**
 * Partials for Whisper live turns. Whisper has no incremental decoding: its running hypothesis
 * is the growing window decoded again, from its start, whenever WINDOW_STEP_SEC more audio has
 * arrived and the previous decode is done (so a slow machine decodes less often, never queues).
 * The words go through the same stable-prefix and throttle rules as PocketSphinx's
 * (stt/live-partial.ts), so words already shown do not flicker. Past Whisper's 30 s window the
 * turn gets no more partials (its final covers it).
 *
 * This does cost decodes beyond the final one: about (turn length / step) of them, each of the
 * window so far. It runs in the turn's own pool worker, between its chunks.
 */
import { PartialHypothesis, type LivePartial } from '../stt/live-partial.js';
import type { Transcript } from '../stt/transcript.js';

/** New audio that makes a fresh decode worth it: a word or two. */
const WINDOW_STEP_SEC = 1;
/** Whisper's window: a longer turn's start would be cut off, so partials stop there. */
const MAX_WINDOW_SEC = 30;
const RATE_HZ = 16_000;

/** int16 full scale, as whisper.audio.load_audio divides by it. */
const INT16_SCALE = 32_768;

/** 16 kHz mono PCM chunks to one float32 signal in [-1, 1] (Whisper's input; the final decode's too). */
export function toFloat(chunks: readonly Int16Array[]): Float32Array {
  const samples = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) samples[at + i] = chunk[i]! / INT16_SCALE;
    at += chunk.length;
  }
  return samples;
}

export class GrowingWindowPartials {
  private readonly hypothesis = new PartialHypothesis();
  private running: Promise<void> | null = null;
  private decodedSamples = 0;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    /** Decodes a window with word times; stops at `signal`'s next check once aborted. */
    private readonly decode: (samples: Float32Array, signal: AbortSignal) => Promise<Transcript>,
    private readonly onPartial: (partial: LivePartial) => void,
  ) {}

  /** The turn's audio so far (all chunks, in order): starts a decode when one is due. */
  heard(chunks: readonly Int16Array[]): void {
    if (this.stopped || this.running) return;
    const samples = chunks.reduce((n, c) => n + c.length, 0);
    if (samples - this.decodedSamples < WINDOW_STEP_SEC * RATE_HZ || samples > MAX_WINDOW_SEC * RATE_HZ) return;
    this.decodedSamples = samples;
    const window = toFloat(chunks);
    this.running = this.decode(window, this.abort.signal)
      .then((transcript) => {
        const words = transcript.segments.flatMap((s) => s.words ?? []);
        const partial = this.stopped ? null : this.hypothesis.offer(words, performance.now());
        if (partial) this.onPartial(partial);
      })
      // A partial decode that fails or is stopped costs the turn nothing: its final decides.
      .catch(() => {})
      .finally(() => (this.running = null));
  }

  /** The audio ended: a decode under way stops at its next step, and is waited for (the model is the thread's). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }
}
