/**
 * One 40 ms analysis frame of a voice, every 10 ms at 16 kHz: its F0 (autocorrelation pitch, the
 * window's own autocorrelation divided out as Boersma 1993 does, so the voicing strength of a
 * tapered frame is comparable to 1) and its cepstrally smoothed log spectrum in coarse linear bands. Both the
 * voice profile (F0 statistics, long-term spectral envelope) and the converter's measurement of
 * what it changed are built from these frames, so they measure the same thing.
 */
import { RadixTwoFft } from '../audio/fft.js';

export const VOICE_SAMPLE_RATE_HZ = 16_000;
/** 10 ms hop: the MFCC frame rate, so the two tracks line up frame for frame. */
export const HOP_SAMPLES = 160;
/** Two periods of the lowest F0 searched. */
export const FRAME_SAMPLES = 640;
/** Frame plus the longest lag (907 samples) without the autocorrelation wrapping round. */
const FFT_SIZE = 1024;
export const MIN_F0_HZ = 60;
export const MAX_F0_HZ = 400;
/** Normalised autocorrelation a frame's best peak must reach to count as voiced. */
const VOICING_THRESHOLD = 0.45;
/** Linear bands of the envelope (125 Hz each up to 8 kHz): fine enough to see formants move. */
export const ENVELOPE_BANDS = 64;
const FLOOR = 1e-9;
/** Quefrency bins kept for the envelope: 1.9 ms, under the 2.5 ms period of a 400 Hz voice. */
const LIFTER = 30;

export interface FrameAnalysis {
  /** Hz, or 0 when unvoiced. */
  f0: number;
  /** Natural log of the frame's mean square (Int16 units). */
  logEnergy: number;
  /** The smoothed natural-log envelope in each band (zeros for an unvoiced frame); valid until the next frame. */
  bands: Float64Array;
}

export class FrameSpectrum {
  private readonly fft = new RadixTwoFft(FFT_SIZE);
  private readonly re = new Float64Array(FFT_SIZE);
  private readonly im = new Float64Array(FFT_SIZE);
  private readonly window = new Float64Array(FRAME_SAMPLES);
  private readonly windowAcf = new Float64Array(FRAME_SAMPLES);
  private readonly bands = new Float64Array(ENVELOPE_BANDS);
  private readonly power = new Float64Array(FFT_SIZE);
  private readonly cre = new Float64Array(FFT_SIZE);
  private readonly cim = new Float64Array(FFT_SIZE);
  private readonly minLag = Math.floor(VOICE_SAMPLE_RATE_HZ / MAX_F0_HZ);
  private readonly maxLag = Math.ceil(VOICE_SAMPLE_RATE_HZ / MIN_F0_HZ);

  constructor() {
    for (let n = 0; n < FRAME_SAMPLES; n++) this.window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 0.5)) / FRAME_SAMPLES);
    for (let lag = 0; lag < FRAME_SAMPLES; lag++) {
      let s = 0;
      for (let n = 0; n + lag < FRAME_SAMPLES; n++) s += this.window[n]! * this.window[n + lag]!;
      this.windowAcf[lag] = s;
    }
  }

  /** Analyses `FRAME_SAMPLES` samples of `pcm` from `start` (float, any scale). */
  analyze(pcm: Float32Array, start: number): FrameAnalysis {
    const { re, im, window } = this;
    let mean = 0;
    for (let n = 0; n < FRAME_SAMPLES; n++) mean += pcm[start + n]!;
    mean /= FRAME_SAMPLES;
    let energy = 0;
    for (let n = 0; n < FRAME_SAMPLES; n++) {
      const x = pcm[start + n]! - mean;
      energy += x * x;
      re[n] = x * window[n]!;
    }
    re.fill(0, FRAME_SAMPLES);
    im.fill(0);
    this.fft.transform(re, im);
    const { power, cre, cim } = this;
    for (let k = 0; k < FFT_SIZE; k++) power[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    // Autocorrelation = inverse FFT of the power spectrum (real and even, so a forward FFT does).
    re.set(power);
    im.fill(0);
    this.fft.transform(re, im);
    const f0 = this.pitch(re);
    // Only voiced frames' envelopes are ever used (voice-profile.ts): the others skip two FFTs.
    if (f0 > 0) this.envelopeBands(power);
    else this.bands.fill(0);
    return { f0, logEnergy: Math.log(energy / FRAME_SAMPLES + FLOOR), bands: this.bands };
  }

  /**
   * The band means of the cepstrally smoothed log spectrum (quefrencies under LIFTER): the
   * envelope without its harmonics, so that voices of different F0 compare by formants alone.
   */
  private envelopeBands(power: Float64Array): void {
    const { cre, cim } = this;
    for (let k = 0; k < FFT_SIZE; k++) {
      cre[k] = Math.log(power[k]! + FLOOR);
      cim[k] = 0;
    }
    this.fft.transform(cre, cim);
    for (let k = 0; k < FFT_SIZE; k++) {
      cre[k] = Math.min(k, FFT_SIZE - k) < LIFTER ? cre[k]! / FFT_SIZE : 0;
      cim[k] = 0;
    }
    this.fft.transform(cre, cim);
    const binsPerBand = FFT_SIZE / 2 / ENVELOPE_BANDS;
    for (let b = 0; b < ENVELOPE_BANDS; b++) {
      let sum = 0;
      for (let k = b * binsPerBand; k < (b + 1) * binsPerBand; k++) sum += cre[k]!;
      this.bands[b] = sum / binsPerBand;
    }
  }

  private pitch(acf: Float64Array): number {
    const r0 = acf[0]!;
    if (r0 <= FLOOR) return 0;
    const norm = (lag: number): number => acf[lag]! / r0 / (this.windowAcf[lag]! / this.windowAcf[0]!);
    let best = 0;
    let bestLag = 0;
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      const v = norm(lag);
      if (v > best && v >= norm(lag - 1) && v >= norm(lag + 1)) {
        best = v;
        bestLag = lag;
      }
    }
    if (best < VOICING_THRESHOLD || bestLag === 0) return 0;
    // A sub-multiple lag nearly as strong is the true period (octave errors go the long way).
    for (let div = 4; div >= 2; div--) {
      const short = Math.round(bestLag / div);
      if (short < this.minLag) continue;
      let peak = short;
      for (let lag = Math.max(this.minLag, short - 2); lag <= short + 2; lag++) if (norm(lag) > norm(peak)) peak = lag;
      if (norm(peak) > 0.9 * best) {
        bestLag = peak;
        break;
      }
    }
    const a = norm(bestLag - 1);
    const b = norm(bestLag);
    const c = norm(bestLag + 1);
    const denom = a - 2 * b + c;
    const offset = denom < 0 ? (0.5 * (a - c)) / denom : 0;
    return VOICE_SAMPLE_RATE_HZ / (bestLag + Math.max(-0.5, Math.min(0.5, offset)));
  }
}
