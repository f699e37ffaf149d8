/**
 * Spleeter's STFT, streamed in chunks of frames: a network that sees 512 frames at once cannot be
 * a per-frame function (src/audio/dsp/stft-block.ts), so frames are gathered into a chunk, the
 * chunk's masks are awaited, and each output group (stem) is rebuilt by inverse FFT and
 * overlap-add. Frame 4096, hop 1024, Hann window, as k2-fsa/sherpa-onnx
 * scripts/spleeter/separate_onnx.py (kaldi-native-fbank Stft, center=False) and deezer/spleeter.
 * The input is led by frame − hop zeros, dropped again on output, so every sample is covered by
 * four frames and the squared windows sum to a constant 1.5: unit masks give the input back.
 * Only one chunk of spectra and one frame of output per group and channel are held.
 */
import { RadixTwoFft } from '../../audio/fft.js';

export const STFT_FRAME = 4096;
export const STFT_HOP = 1024;
export const STFT_BINS = STFT_FRAME / 2 + 1;
/** Σ w² of a periodic Hann window at 75 % overlap. */
const WINDOW_POWER = 1.5;

/** One chunk's spectra: per channel, `frames × STFT_BINS` values, frame-major. */
export interface ChunkSpectra {
  frames: number;
  re: Float32Array[];
  im: Float32Array[];
}

/**
 * Per output group, per channel: `frames × maskBins` real masks, frame-major; bins at and above
 * `maskBins` are zeroed (as sherpa-onnx pads them).
 */
export type ChunkMasker = (chunk: ChunkSpectra) => Promise<{ maskBins: number; masks: Float32Array[][] }>;

export class ChunkedStft {
  private readonly fft = new RadixTwoFft(STFT_FRAME);
  private readonly window = Float64Array.from({ length: STFT_FRAME }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / STFT_FRAME));
  private tail: Float32Array[];
  private chunk: ChunkSpectra;
  private readonly acc: Float64Array[][];
  private readonly re = new Float64Array(STFT_FRAME);
  private readonly im = new Float64Array(STFT_FRAME);
  private samplesIn = 0;
  /** Frames synthesised, and output samples handed out (after the padding). */
  private emitted = 0;
  private delivered = 0;
  /** Leading padding still to drop from the output. */
  private toDrop = STFT_FRAME - STFT_HOP;

  constructor(private readonly channels: number, private readonly groups: number, private readonly chunkFrames: number, private readonly masker: ChunkMasker) {
    this.tail = Array.from({ length: channels }, () => new Float32Array(STFT_FRAME - STFT_HOP));
    this.chunk = this.emptyChunk();
    this.acc = Array.from({ length: groups }, () => Array.from({ length: channels }, () => new Float64Array(STFT_FRAME)));
  }

  /** Planar input in; per group, the planar output that is final so far. */
  async push(planar: readonly Float32Array[]): Promise<Float32Array[][]> {
    this.samplesIn += planar[0]?.length ?? 0;
    this.tail = this.tail.map((t, c) => concat([t, planar[c]!]));
    return this.analyse(false);
  }

  /** The rest, up to exactly the input's length. */
  async flush(): Promise<Float32Array[][]> {
    this.tail = this.tail.map((t) => concat([t, new Float32Array(STFT_FRAME)]));
    return this.analyse(true);
  }

  private emptyChunk(): ChunkSpectra {
    const size = this.chunkFrames * STFT_BINS;
    return { frames: 0, re: Array.from({ length: this.channels }, () => new Float32Array(size)), im: Array.from({ length: this.channels }, () => new Float32Array(size)) };
  }

  private async analyse(last: boolean): Promise<Float32Array[][]> {
    const parts: Float32Array[][][] = [];
    const pad = STFT_FRAME - STFT_HOP;
    const needed = (): boolean => !last || (this.emitted + this.chunk.frames) * STFT_HOP < pad + this.samplesIn;
    let at = 0;
    while (this.tail[0]!.length - at >= STFT_FRAME && needed()) {
      for (let c = 0; c < this.channels; c++) this.analyseFrame(this.tail[c]!.subarray(at, at + STFT_FRAME), c);
      this.chunk.frames++;
      at += STFT_HOP;
      if (this.chunk.frames === this.chunkFrames) parts.push(await this.synthesise());
    }
    this.tail = this.tail.map((t) => t.slice(at));
    if (last && this.chunk.frames > 0) parts.push(await this.synthesise());
    const out = Array.from({ length: this.groups }, (_, g) => Array.from({ length: this.channels }, (_, c) => concat(parts.map((p) => p[g]![c]!))));
    // Drop the leading padding, and at the end anything past the input's length.
    const total = out[0]?.[0]?.length ?? 0;
    const from = Math.min(this.toDrop, total);
    this.toDrop -= from;
    const keep = last ? Math.max(0, Math.min(total - from, this.samplesIn - this.delivered)) : total - from;
    this.delivered += keep;
    return out.map((chs) => chs.map((ch) => ch.slice(from, from + keep)));
  }

  private analyseFrame(frame: Float32Array, c: number): void {
    const { re, im, window } = this;
    for (let i = 0; i < STFT_FRAME; i++) re[i] = frame[i]! * window[i]!;
    im.fill(0);
    this.fft.transform(re, im);
    const base = this.chunk.frames * STFT_BINS;
    for (let k = 0; k < STFT_BINS; k++) {
      this.chunk.re[c]![base + k] = re[k]!;
      this.chunk.im[c]![base + k] = im[k]!;
    }
  }

  /** Masks the chunk, rebuilds each group's frames and hands out the samples they complete. */
  private async synthesise(): Promise<Float32Array[][]> {
    const chunk = this.chunk;
    this.chunk = this.emptyChunk();
    const { maskBins, masks } = await this.masker(chunk);
    const { re, im, window } = this;
    const out = masks.map((perChannel, g) =>
      perChannel.map((mask, c) => {
        const acc = this.acc[g]![c]!;
        const o = new Float32Array(chunk.frames * STFT_HOP);
        for (let t = 0; t < chunk.frames; t++) {
          re.fill(0);
          im.fill(0);
          const base = t * STFT_BINS;
          // Inverse FFT as the conjugate of a forward one: conjugate in, real part out.
          for (let k = 0; k < Math.min(maskBins, STFT_BINS); k++) {
            const m = mask[t * maskBins + k]!;
            re[k] = m * chunk.re[c]![base + k]!;
            im[k] = -m * chunk.im[c]![base + k]!;
          }
          for (let k = STFT_BINS; k < STFT_FRAME; k++) {
            re[k] = re[STFT_FRAME - k]!;
            im[k] = -im[STFT_FRAME - k]!;
          }
          this.fft.transform(re, im);
          for (let i = 0; i < STFT_FRAME; i++) acc[i] = acc[i]! + (window[i]! * re[i]!) / STFT_FRAME;
          for (let i = 0; i < STFT_HOP; i++) o[t * STFT_HOP + i] = acc[i]! / WINDOW_POWER;
          acc.copyWithin(0, STFT_HOP);
          acc.fill(0, STFT_FRAME - STFT_HOP);
        }
        return o;
      }),
    );
    this.emitted += chunk.frames;
    return out;
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
