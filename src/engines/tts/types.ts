/**
 * The contract every text-to-speech engine implements. Engines receive plain text (SSML,
 * pronunciations and number normalization already applied upstream by `src/text/`) one
 * sentence or clause at a time, and yield PCM as soon as they have it.
 */
import type { AudioChunk } from '../../audio/pcm.js';

export type Gender = 'male' | 'female' | 'neutral';

export interface Voice {
  /** Stable public id, unique across all engines (e.g. `en-us`, `flite-slt`). */
  id: string;
  name: string;
  /** Model (engine) id this voice belongs to. */
  model: string;
  /** BCP-47-ish primary language code, e.g. `en`, `en-us`, `cy`. */
  language: string;
  gender: Gender;
}

export interface SynthesisRequest {
  /** Plain text of one sentence or clause. */
  text: string;
  voice: string;
  /** ISO 639-1 code of the text's language; engines that speak many languages pick by it. */
  language: string;
  /** 0.25–4.0, 1.0 = the voice's natural rate. */
  speed: number;
  /**
   * 'first' for the first piece of a stream: served before queued later pieces ('rest', the
   * default) of other streams, so that every stream starts speaking quickly.
   */
  priority?: 'first' | 'rest';
  /**
   * When the listener will have played everything before this piece (performance.now() ms):
   * queued later pieces run earliest deadline first, so the stream closest to running dry is
   * served first. Absent: no listener waiting (after every piece that has a deadline).
   */
  deadlineMs?: number;
  /**
   * The rate the caller wants. Engines that can resample off the main thread do so (chunks
   * then carry this rate); others yield their native rate and the caller converts.
   */
  sampleRateHz?: number;
}

export interface TtsEngine {
  readonly id: string;
  voices(): Voice[];
  /**
   * Yields PCM chunks for one piece of text. Word timings, when the engine knows them, are
   * relative to the start of this piece. Stops promptly (and releases its worker) when
   * `signal` aborts.
   */
  synthesize(req: SynthesisRequest, signal: AbortSignal): AsyncIterable<AudioChunk>;
}
