/**
 * PCM types shared by engines, encoders and the streaming pipeline.
 * All PCM in Llais is mono, signed 16-bit, native (little) endian.
 */

/** Seconds from the start of the stream. */
export interface WordTiming {
  word: string;
  start: number;
  end: number;
}

/** One piece of a synthesized stream. `words` are timed relative to the whole stream. */
export interface AudioChunk {
  pcm: Int16Array;
  sampleRateHz: number;
  words?: WordTiming[];
}

/** The sample rate every stream leaves the pipeline at: OpenAI's `pcm` format is 24 kHz. */
export const OUTPUT_SAMPLE_RATE_HZ = 24_000;

/** Joins PCM chunks into one buffer. */
export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
