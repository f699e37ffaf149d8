/**
 * Moves a signal's spectral envelope along the frequency axis without touching its harmonics:
 * each 32 ms STFT frame's envelope is estimated by cepstral smoothing (the first LIFTER quefrency
 * bins, below the shortest pitch period searched), and the frame is multiplied by
 * exp(env(f · w) − env(f)), so formants at f·w move to f. w < 1 raises formants (a shorter vocal
 * tract), w > 1 lowers them. Weighted overlap-add with Hann analysis and synthesis windows.
 */
import { RadixTwoFft } from '../audio/fft.js';

const SIZE = 512;
const HOP = SIZE / 4;
/** Quefrency bins kept: 1.9 ms at 16 kHz, under the 2.5 ms period of a 400 Hz voice. */
const LIFTER = 30;
/** Envelope changes beyond ±24 dB are estimation errors (a deep valley), not formants. */
const MAX_LOG_GAIN = 24 / 8.686;

/** `warpAt(i)`: the factor w for the frame centred at sample i; `gain`: a linear gain over all. */
export function warpEnvelope(x: Float32Array, warpAt: (sample: number) => number, gain = 1): Float32Array {
  const fft = new RadixTwoFft(SIZE);
  const window = Float64Array.from({ length: SIZE }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / SIZE));
  // Hann² at a quarter-frame hop sums to 1.5.
  const norm = gain / 1.5;
  const out = new Float32Array(x.length);
  const re = new Float64Array(SIZE);
  const im = new Float64Array(SIZE);
  const cre = new Float64Array(SIZE);
  const cim = new Float64Array(SIZE);
  const env = new Float64Array(SIZE / 2 + 1);
  for (let start = -SIZE + HOP; start < x.length; start += HOP) {
    for (let n = 0; n < SIZE; n++) {
      const i = start + n;
      re[n] = i >= 0 && i < x.length ? x[i]! * window[n]! : 0;
    }
    im.fill(0);
    fft.transform(re, im);
    const w = warpAt(start + SIZE / 2);
    if (Math.abs(w - 1) > 1e-3) {
      // Real cepstrum of the log magnitude, liftered, back to a smooth log envelope.
      for (let k = 0; k < SIZE; k++) {
        cre[k] = 0.5 * Math.log(re[k]! * re[k]! + im[k]! * im[k]! + 1e-6);
        cim[k] = 0;
      }
      fft.transform(cre, cim);
      for (let k = 0; k < SIZE; k++) {
        const q = Math.min(k, SIZE - k);
        cre[k] = q < LIFTER ? cre[k]! / SIZE : 0;
        cim[k] = q < LIFTER ? -cim[k]! / SIZE : 0;
      }
      fft.transform(cre, cim);
      for (let k = 0; k <= SIZE / 2; k++) env[k] = cre[k]!;
      for (let k = 0; k <= SIZE / 2; k++) {
        const src = Math.min(SIZE / 2, k * w);
        const j = Math.floor(src);
        const frac = src - j;
        const warped = env[j]! + (j < SIZE / 2 ? (env[j + 1]! - env[j]!) * frac : 0);
        const g = Math.exp(Math.max(-MAX_LOG_GAIN, Math.min(MAX_LOG_GAIN, warped - env[k]!)));
        re[k] *= g;
        im[k] *= g;
        if (k > 0 && k < SIZE / 2) {
          re[SIZE - k] *= g;
          im[SIZE - k] *= g;
        }
      }
    }
    // Inverse FFT by conjugation: conj(FFT(conj(X))) / N.
    for (let k = 0; k < SIZE; k++) im[k] = -im[k]!;
    fft.transform(re, im);
    for (let n = 0; n < SIZE; n++) {
      const i = start + n;
      if (i >= 0 && i < x.length) out[i] += ((re[n]! / SIZE) * window[n]! * norm);
    }
  }
  return out;
}
