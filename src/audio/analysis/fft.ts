/**
 * Power spectra of windowed frames for the music analysis: an iterative radix-2 FFT with its
 * twiddles, bit-reversal table and Hann window made once per size (frames here are powers of two).
 * Pure JavaScript: the analysis runs on a pool worker, and a few thousand frames a minute of audio
 * cost milliseconds.
 */

/** Power spectra |X[k]|² (k = 0 … size/2) of Hann-windowed frames of one size. */
export class PowerSpectrum {
  readonly size: number;
  private readonly window: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly reversed: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(Math.log2(size)) || size < 2) throw new RangeError(`FFT size must be a power of two, got ${size}`);
    this.size = size;
    this.window = new Float64Array(size);
    for (let i = 0; i < size; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / size);
    }
    const bits = Math.log2(size);
    this.reversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  /** Writes the power spectrum of `frame` (length `size`, windowed here) into `out` (length size/2 + 1). */
  compute(frame: Float32Array, out: Float32Array): void {
    const { size, re, im, reversed, window } = this;
    for (let i = 0; i < size; i++) {
      const j = reversed[i]!;
      re[j] = frame[i]! * window[i]!;
      im[j] = 0;
    }
    for (let half = 1; half < size; half <<= 1) {
      const step = size / (half << 1);
      for (let start = 0; start < size; start += half << 1) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = this.sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const tr = re[b]! * wr - im[b]! * wi;
          const ti = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a] = re[a]! + tr;
          im[a] = im[a]! + ti;
        }
      }
    }
    for (let k = 0; k <= size / 2; k++) out[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  }
}

/**
 * Cuts a stream of samples into overlapping frames of `size` every `hop` samples, holding only the
 * last frame's worth: the analysis never keeps the decoded signal.
 */
export class Framer {
  private readonly buffer: Float32Array;
  private filled = 0;

  constructor(
    readonly size: number,
    readonly hop: number,
    private readonly onFrame: (frame: Float32Array) => void,
  ) {
    this.buffer = new Float32Array(size);
  }

  /** Adds samples; calls `onFrame` for each frame completed (the frame is reused afterwards). */
  push(samples: Float32Array): void {
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(samples.length - offset, this.size - this.filled);
      this.buffer.set(samples.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled < this.size) return;
      this.onFrame(this.buffer);
      this.buffer.copyWithin(0, this.hop);
      this.filled = this.size - this.hop;
    }
  }
}
