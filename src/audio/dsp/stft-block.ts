/**
 * Streaming short-time Fourier transform with overlap-add, in blocks: the one way every spectral
 * audio tool (enhance's band extension, separation, dereverberation) touches a signal. It holds one
 * frame of input and one of output per channel, never the signal, so a 10-minute stereo upload
 * costs the same memory as a 10-second one (test/audio-dsp-units.test.ts measures it).
 *
 * Frames are Hann-windowed on analysis and synthesis at 75 % overlap (the squared windows sum to a
 * constant 1.5, divided out), so a frame function that leaves spectra untouched gives the input back
 * sample for sample. The output is aligned with the input and exactly as long: the processor adds
 * the window's latency (and the frame function's own look-ahead, `delayFrames`) as padding and
 * drops it again.
 */
import { RadixTwoFft } from '../fft.js';

/** One channel's spectrum: bins 0 … size-1 of a full complex FFT (the upper half mirrors the lower). */
export interface Spectrum {
  re: Float64Array;
  im: Float64Array;
}

/**
 * Called once per frame with the input channels' spectra; writes the output channels' spectra
 * (only bins 0 … size/2 are read; the mirror is rebuilt). A function with look-ahead returns its
 * output `delayFrames` frames late and says so in the options.
 */
export type FrameFunction = (input: readonly Spectrum[], output: Spectrum[]) => void;

export interface StftOptions {
  fftSize: number;
  inChannels: number;
  outChannels: number;
  /** Frames the frame function lags behind its input (its look-ahead); default 0. */
  delayFrames?: number;
}

export class StftBlockProcessor {
  readonly fftSize: number;
  readonly hop: number;
  private readonly fft: RadixTwoFft;
  private readonly window: Float64Array;
  private readonly inFrames: Float64Array[];
  private readonly outAcc: Float64Array[];
  private readonly inSpec: Spectrum[];
  private readonly outSpec: Spectrum[];
  /** Samples of the current hop gathered so far. */
  private filled: number;
  /** Output samples still to drop (the padding's), and input samples taken, to trim the flush. */
  private toDrop: number;
  private samplesIn = 0;
  private samplesOut = 0;

  constructor(private readonly opts: StftOptions, private readonly frame: FrameFunction) {
    const n = opts.fftSize;
    this.fftSize = n;
    this.hop = n / 4;
    this.fft = new RadixTwoFft(n);
    this.window = new Float64Array(n);
    for (let i = 0; i < n; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    this.inFrames = Array.from({ length: opts.inChannels }, () => new Float64Array(n));
    this.outAcc = Array.from({ length: opts.outChannels }, () => new Float64Array(n));
    const spectrum = (): Spectrum => ({ re: new Float64Array(n), im: new Float64Array(n) });
    this.inSpec = Array.from({ length: opts.inChannels }, spectrum);
    this.outSpec = Array.from({ length: opts.outChannels }, spectrum);
    // The first frame starts size - hop samples before the signal: those zeros are already "in".
    this.filled = 0;
    this.toDrop = n - this.hop + (opts.delayFrames ?? 0) * this.hop;
    for (const f of this.inFrames) f.fill(0);
  }

  /**
   * Feeds planar input (one array per input channel, equal lengths) and returns the output that is
   * final so far, planar, one array per output channel.
   */
  push(input: readonly Float32Array[]): Float32Array[] {
    const length = input[0]?.length ?? 0;
    this.samplesIn += length;
    return this.consume(input, length, Number.POSITIVE_INFINITY);
  }

  /** Ends the stream: returns the rest of the output, so that output length equals input length. */
  flush(): Float32Array[] {
    const owed = this.samplesIn - this.samplesOut;
    // Enough zeros to push every owed sample out of the window (and the frame function's delay).
    const zeros = Array.from({ length: this.opts.inChannels }, () => new Float32Array(owed + this.toDrop + this.fftSize));
    return this.consume(zeros, zeros[0]!.length, owed);
  }

  private consume(input: readonly Float32Array[], length: number, maxOut: number): Float32Array[] {
    const { hop, fftSize: n } = this;
    const out = Array.from({ length: this.opts.outChannels }, () => new Float32Array(Math.min(length + hop, Math.max(0, maxOut))));
    let written = 0;
    for (let pos = 0; pos < length; ) {
      const take = Math.min(hop - this.filled, length - pos);
      for (let c = 0; c < this.opts.inChannels; c++) {
        const frame = this.inFrames[c]!;
        const src = input[c]!;
        const base = n - hop + this.filled;
        for (let i = 0; i < take; i++) frame[base + i] = src[pos + i]!;
      }
      this.filled += take;
      pos += take;
      if (this.filled < hop) break;
      this.filled = 0;
      this.runFrame();
      // The first hop of the accumulator is final.
      let from = 0;
      if (this.toDrop > 0) {
        from = Math.min(hop, this.toDrop);
        this.toDrop -= from;
      }
      const count = Math.min(hop - from, maxOut - written, out[0] ? out[0].length - written : 0);
      for (let c = 0; c < this.opts.outChannels; c++) {
        const acc = this.outAcc[c]!;
        const dst = out[c]!;
        for (let i = 0; i < count; i++) dst[written + i] = acc[from + i]!;
        acc.copyWithin(0, hop);
        acc.fill(0, n - hop);
      }
      written += Math.max(0, count);
      for (const f of this.inFrames) f.copyWithin(0, hop);
    }
    this.samplesOut += written;
    return out.map((o) => (o.length === written ? o : o.subarray(0, written)));
  }

  private runFrame(): void {
    const { fftSize: n, window } = this;
    for (let c = 0; c < this.opts.inChannels; c++) {
      const frame = this.inFrames[c]!;
      const { re, im } = this.inSpec[c]!;
      for (let i = 0; i < n; i++) {
        re[i] = frame[i]! * window[i]!;
        im[i] = 0;
      }
      this.fft.transform(re, im);
    }
    for (const s of this.outSpec) {
      s.re.fill(0);
      s.im.fill(0);
    }
    this.frame(this.inSpec, this.outSpec);
    // Inverse FFT by conjugation: conj(FFT(conj(X))) / n, with the mirror rebuilt from bins 0 … n/2.
    const scale = 1 / (n * 1.5);
    for (let c = 0; c < this.opts.outChannels; c++) {
      const { re, im } = this.outSpec[c]!;
      im[0] = 0;
      im[n / 2] = 0;
      for (let k = 1; k < n / 2; k++) {
        re[n - k] = re[k]!;
        im[n - k] = -im[k]!;
      }
      for (let k = 0; k < n; k++) im[k] = -im[k]!;
      this.fft.transform(re, im);
      const acc = this.outAcc[c]!;
      for (let i = 0; i < n; i++) acc[i] = acc[i]! + re[i]! * scale * window[i]!;
    }
  }
}

/** Copies each input channel's spectrum to the output channel of the same index (a frame function's start). */
export function copySpectrum(from: Spectrum, to: Spectrum, bins: number): void {
  to.re.set(from.re.subarray(0, bins));
  to.im.set(from.im.subarray(0, bins));
}
