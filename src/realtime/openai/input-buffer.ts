/**
 * A Realtime session's input audio: the uncommitted buffer on the session's input clock (ms since
 * the first sample the client appended), and a live feed that carries one turn's audio to the
 * recognizer while the user is still speaking. Both hold 16 kHz PCM, the rate of the VAD and of
 * the recognizer, so input is resampled once per session rather than once per consumer.
 */
import { concatPcm } from '../../audio/pcm.js';
import { STT_SAMPLE_RATE_HZ } from '../../stt/transcribe-pcm.js';

export const INPUT_RATE_HZ = STT_SAMPLE_RATE_HZ;
const SAMPLES_PER_MS = INPUT_RATE_HZ / 1000;

/** PCM chunks with their position on the session clock. */
export class InputBuffer {
  private chunks: Array<{ start: number; pcm: Int16Array }> = [];
  /** Samples appended since the session started. */
  private total = 0;
  private buffered = 0;

  /** Session time at the end of everything appended, in ms. */
  get endMs(): number {
    return this.total / SAMPLES_PER_MS;
  }

  /** Duration of the buffered (uncommitted) audio, in ms. */
  get bufferedMs(): number {
    return this.buffered / SAMPLES_PER_MS;
  }

  append(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.chunks.push({ start: this.total, pcm });
    this.total += pcm.length;
    this.buffered += pcm.length;
  }

  /** Drops audio older than `keepMs` before the end (while no turn is open, only the padding matters). */
  trimTo(keepMs: number): void {
    const keepFrom = this.total - Math.ceil(keepMs * SAMPLES_PER_MS);
    while (this.chunks.length > 0) {
      const first = this.chunks[0]!;
      if (first.start + first.pcm.length > keepFrom) break;
      this.chunks.shift();
      this.buffered -= first.pcm.length;
    }
  }

  /** The buffered audio from session time `fromMs` (clamped to what is held) to the end, as one array. */
  from(fromMs: number): Int16Array {
    const fromSample = Math.max(0, Math.floor(fromMs * SAMPLES_PER_MS));
    const parts: Int16Array[] = [];
    for (const c of this.chunks) {
      const end = c.start + c.pcm.length;
      if (end <= fromSample) continue;
      parts.push(c.start >= fromSample ? c.pcm : c.pcm.subarray(fromSample - c.start));
    }
    return concatPcm(parts);
  }

  /** Empties the buffer (commit or clear); the clock runs on. */
  clear(): void {
    this.chunks = [];
    this.buffered = 0;
  }
}

/**
 * One turn's 16 kHz audio on its way to the recognizer: pushed as it arrives, read by the pool
 * (which pulls a chunk at a time). What piles up between pulls is sent as one chunk.
 */
export class LiveFeed implements AsyncIterable<Int16Array> {
  private pending: Int16Array[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  /** Seconds of audio pushed, for the transcription's usage. */
  seconds = 0;

  push(pcm16k: Int16Array): void {
    if (this.ended || pcm16k.length === 0) return;
    this.seconds += pcm16k.length / INPUT_RATE_HZ;
    this.pending.push(pcm16k);
    this.wake?.();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Int16Array> {
    for (;;) {
      if (this.pending.length > 0) {
        // Each chunk owns its buffer: the pool transfers it to the worker.
        const merged = concatPcm(this.pending);
        this.pending = [];
        yield merged;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
