/**
 * Power spectra of windowed frames for the music analysis, on the server's radix-2 FFT
 * (audio/fft.ts) with a Hann window made once per size (frames here are powers of two).
 * Pure JavaScript: the analysis runs on a pool worker, and a few thousand frames a minute of audio
 * cost milliseconds.
 */
import { RadixTwoFft } from '../fft.js';

/** Power spectra |X[k]|² (k = 0 … size/2) of Hann-windowed frames of one size. */
export class PowerSpectrum {
  readonly size: number;
  private readonly window: Float64Array;
  private readonly fft: RadixTwoFft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(size: number) {
    this.fft = new RadixTwoFft(size);
    this.size = size;
    this.window = new Float64Array(size);
    for (let i = 0; i < size; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  /** Writes the power spectrum of `frame` (length `size`, windowed here) into `out` (length size/2 + 1). */
  compute(frame: Float32Array, out: Float32Array): void {
    const { size, re, im, window } = this;
    for (let i = 0; i < size; i++) {
      re[i] = frame[i]! * window[i]!;
      im[i] = 0;
    }
    this.fft.transform(re, im);
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
