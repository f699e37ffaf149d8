/**
 * Mel-frequency cepstral coefficients, computed as PCM streams past: pre-emphasis, 25 ms Hann
 * frames every 10 ms, a 512-point FFT, 26 triangular mel filters, log, DCT-II. The textbook recipe
 * (HTK's, without liftering); the speaker features of `diarize.ts` are statistics over these frames.
 */
import { RadixTwoFft } from '../audio/fft.js';

/** Coefficients per frame: c0 (overall log level) to c12. */
export const MFCC_COEFFS = 13;
/** Frames per second (a 10 ms hop). */
export const MFCC_FRAMES_PER_SEC = 100;

const FRAME_SEC = 0.025;
const PRE_EMPHASIS = 0.97;
const MEL_FILTERS = 26;
/** Below this, speech carries no speaker information, only hum. */
const LOW_FREQ_HZ = 20;
/** Keeps log() finite on digital silence. */
const ENERGY_FLOOR = 1e-10;

/** One frame's features, valid only during the callback (the arrays are reused). */
export type MfccFrameHandler = (coeffs: Float32Array, logEnergy: number) => void;

/**
 * Turns a PCM stream into MFCC frames: frame `i` covers samples `[i * hop, i * hop + 25 ms)` of the
 * whole stream, whatever the chunking. Keeps only the last partial frame between pushes.
 */
export class MfccExtractor {
  private readonly frameLength: number;
  private readonly hop: number;
  private readonly window: Float32Array;
  private readonly fft: RadixTwoFft;
  private readonly melBank: MelFilter[];
  private readonly dct: Float32Array;
  /** Pre-emphasized samples not yet consumed by a frame (fewer than one frame's worth). */
  private pending = new Float32Array(0);
  private lastSample = 0;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly melLog = new Float64Array(MEL_FILTERS);
  private readonly coeffs = new Float32Array(MFCC_COEFFS);

  constructor(readonly sampleRateHz: number) {
    if (!Number.isInteger(sampleRateHz) || sampleRateHz < 8_000) throw new RangeError(`unsupported sample rate ${sampleRateHz}`);
    this.frameLength = Math.round(sampleRateHz * FRAME_SEC);
    this.hop = sampleRateHz / MFCC_FRAMES_PER_SEC;
    if (!Number.isInteger(this.hop)) throw new RangeError(`sample rate ${sampleRateHz} is not a multiple of ${MFCC_FRAMES_PER_SEC}`);
    let fftSize = 1;
    while (fftSize < this.frameLength) fftSize <<= 1;
    this.fft = new RadixTwoFft(fftSize);
    this.re = new Float64Array(fftSize);
    this.im = new Float64Array(fftSize);
    this.window = new Float32Array(this.frameLength);
    for (let n = 0; n < this.frameLength; n++) this.window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (this.frameLength - 1));
    this.melBank = melFilterBank(fftSize, sampleRateHz);
    this.dct = dctMatrix();
  }

  /** Samples per hop (10 ms). */
  get hopSamples(): number {
    return this.hop;
  }

  /** Feeds PCM; calls `onFrame` for every frame completed by it, in order. */
  push(pcm: Int16Array, onFrame: MfccFrameHandler): void {
    const work = new Float32Array(this.pending.length + pcm.length);
    work.set(this.pending);
    let previous = this.lastSample;
    for (let i = 0, j = this.pending.length; i < pcm.length; i++, j++) {
      const x = pcm[i]!;
      work[j] = x - PRE_EMPHASIS * previous;
      previous = x;
    }
    if (pcm.length > 0) this.lastSample = previous;
    let start = 0;
    for (; start + this.frameLength <= work.length; start += this.hop) this.frame(work, start, onFrame);
    this.pending = work.slice(start);
  }

  private frame(work: Float32Array, start: number, onFrame: MfccFrameHandler): void {
    const { re, im, window } = this;
    let energy = 0;
    for (let n = 0; n < this.frameLength; n++) {
      const x = work[start + n]!;
      energy += x * x;
      re[n] = x * window[n]!;
    }
    re.fill(0, this.frameLength);
    im.fill(0);
    this.fft.transform(re, im);
    for (let m = 0; m < MEL_FILTERS; m++) {
      const { first, weights } = this.melBank[m]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        const bin = first + k;
        sum += weights[k]! * (re[bin]! * re[bin]! + im[bin]! * im[bin]!);
      }
      this.melLog[m] = Math.log(Math.max(sum, ENERGY_FLOOR));
    }
    for (let c = 0; c < MFCC_COEFFS; c++) {
      let sum = 0;
      for (let m = 0; m < MEL_FILTERS; m++) sum += this.dct[c * MEL_FILTERS + m]! * this.melLog[m]!;
      this.coeffs[c] = sum;
    }
    onFrame(this.coeffs, Math.log(Math.max(energy, ENERGY_FLOOR)));
  }
}

interface MelFilter {
  /** FFT bin of weights[0]. */
  first: number;
  weights: Float32Array;
}

function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

/** Triangles evenly spaced on the mel scale from LOW_FREQ_HZ to Nyquist, peak weight 1. */
function melFilterBank(fftSize: number, sampleRateHz: number): MelFilter[] {
  const low = hzToMel(LOW_FREQ_HZ);
  const high = hzToMel(sampleRateHz / 2);
  const edgesHz = Array.from({ length: MEL_FILTERS + 2 }, (_, i) => melToHz(low + ((high - low) * i) / (MEL_FILTERS + 1)));
  const binHz = sampleRateHz / fftSize;
  const filters: MelFilter[] = [];
  for (let m = 0; m < MEL_FILTERS; m++) {
    const [left, centre, right] = [edgesHz[m]!, edgesHz[m + 1]!, edgesHz[m + 2]!];
    const first = Math.ceil(left / binHz);
    const last = Math.min(fftSize / 2, Math.floor(right / binHz));
    const weights = new Float32Array(Math.max(0, last - first + 1));
    for (let bin = first; bin <= last; bin++) {
      const hz = bin * binHz;
      weights[bin - first] = hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre);
    }
    filters.push({ first, weights });
  }
  return filters;
}

/** Orthonormal DCT-II rows 0..MFCC_COEFFS-1 over the mel log energies. */
function dctMatrix(): Float32Array {
  const matrix = new Float32Array(MFCC_COEFFS * MEL_FILTERS);
  for (let c = 0; c < MFCC_COEFFS; c++) {
    const scale = Math.sqrt((c === 0 ? 1 : 2) / MEL_FILTERS);
    for (let m = 0; m < MEL_FILTERS; m++) matrix[c * MEL_FILTERS + m] = scale * Math.cos((Math.PI * c * (m + 0.5)) / MEL_FILTERS);
  }
  return matrix;
}
