/**
 * Streaming sample-rate conversion for mono s16 PCM: SpeexDSP's polyphase windowed-sinc resampler
 * (src/audio/speex.ts), with the stream bookkeeping callers rely on.
 *
 * State (unconsumed input, filter position) carries across calls, so chunk boundaries are
 * seamless: any chunking gives exactly the one-shot output. Output time 0 is input time 0, so the
 * output lags the input by half the filter until flush() supplies the tail, and a whole stream
 * is exactly ceil(input * toHz / fromHz) samples long.
 */
import { SpeexResampler } from './speex.js';

/**
 * A resampler for one stream. process() returns the output that its input so far determines;
 * flush() returns the rest and readies the resampler for a new stream.
 */
export class StreamResampler {
  /** Null for equal rates, and between a flush() and the next stream's first process(). */
  private speex: SpeexResampler | null;
  private inputCount = 0;
  private outputCount = 0;

  constructor(
    readonly fromHz: number,
    readonly toHz: number,
  ) {
    for (const rate of [fromHz, toHz]) {
      if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
    }
    this.speex = fromHz === toHz ? null : new SpeexResampler(fromHz, toHz);
  }

  /** Resamples the next chunk; returns the samples now determined (possibly none). */
  process(pcm: Int16Array): Int16Array {
    if (this.fromHz === this.toHz) return pcm.slice();
    this.speex ??= new SpeexResampler(this.fromHz, this.toHz);
    const out = this.speex.process(pcm);
    this.inputCount += pcm.length;
    this.outputCount += out.length;
    return out;
  }

  /** Ends the stream: returns the remaining output, making the total ceil(input * toHz / fromHz). */
  flush(): Int16Array {
    if (this.speex === null) return new Int16Array(0);
    const speex = this.speex;
    const missing = Math.ceil((this.inputCount * this.toHz) / this.fromHz) - this.outputCount;
    const tail = new Int16Array(Math.max(0, missing));
    // Zeros past the end let the last outputs' filters complete; one latency's worth is enough.
    for (let filled = 0; filled < tail.length; ) {
      const out = speex.process(new Int16Array(speex.inputLatency + 1));
      tail.set(out.subarray(0, tail.length - filled), filled);
      filled += out.length;
    }
    // Freed now rather than when collected; most streams end here, and a new one starts afresh.
    speex.destroy();
    this.speex = null;
    this.inputCount = 0;
    this.outputCount = 0;
    return tail;
  }
}
