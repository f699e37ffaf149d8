/**
 * Discrete echo removal: a single strong reflection or a delayed loop-back (y = x + a·x(t − D))
 * multiplies every spectrum by |1 + a·e^{−jωD}|², a ripple whose power cepstrum has a peak of height
 * at quefrency D, whatever the speech. So the first DETECT_SEC are buffered, D read from the
 * averaged cepstrum (a peak standing far above the rest), a from the normalised autocorrelation at D
 * (ρ = a / (1 + a²) for a source uncorrelated with itself that far apart), and the echo undone with
 * the inverse filter
 * x̂[n] = y[n] − a·x̂[n − D] (stable, since |a| < 1). No clear peak: the audio passes untouched.
 */
import { RadixTwoFft } from '../fft.js';
import type { BlockStage } from '../dsp/stage.js';
import { concatPlanar } from '../dsp/stage.js';

/** Audio the detector looks at before processing starts (bounded: seconds × channels). */
export const DETECT_SEC = 6;
const FRAME = 32_768;
const MIN_DELAY_SEC = 0.02;
const MAX_DELAY_SEC = 0.3;
/** A cepstral peak must stand this far above the range's typical magnitude, and the echo reach MIN_GAIN. */
const PEAK_OVER_MEDIAN = 12;
const MIN_GAIN = 0.12;
const MAX_GAIN = 0.95;
const REMOVED_SHARE = [0, 0.6, 0.8, 0.9, 1, 1];

export interface EchoEstimate {
  delaySamples: number;
  gain: number;
}

/** The echo in `mono` (at `rateHz`), or undefined when there is no clear one. */
export function detectEcho(mono: Float32Array, rateHz: number): EchoEstimate | undefined {
  const n = FRAME * 2;
  const fft = new RadixTwoFft(n);
  const power = new Float64Array(n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let frames = 0;
  for (let start = 0; start + FRAME / 4 <= mono.length || (frames === 0 && start < mono.length); start += FRAME / 2) {
    re.fill(0);
    im.fill(0);
    const len = Math.min(FRAME, mono.length - start);
    for (let i = 0; i < len; i++) re[i] = mono[start + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / FRAME));
    fft.transform(re, im);
    for (let k = 0; k < n; k++) power[k] = power[k]! + re[k]! * re[k]! + im[k]! * im[k]!;
    frames++;
  }
  let peakPower = 0;
  for (let k = 0; k < n; k++) peakPower = Math.max(peakPower, power[k]!);
  if (peakPower === 0) return undefined;
  // Power cepstrum: IFFT of the log spectrum (real and even, so a forward FFT / n does).
  for (let k = 0; k < n; k++) {
    re[k] = Math.log(power[k]! + peakPower * 1e-9);
    im[k] = 0;
  }
  fft.transform(re, im);
  const lo = Math.round(MIN_DELAY_SEC * rateHz);
  const hi = Math.min(Math.round(MAX_DELAY_SEC * rateHz), FRAME / 2);
  const mags: number[] = [];
  let best = lo;
  for (let q = lo; q <= hi; q++) {
    const v = re[q]! / n;
    mags.push(Math.abs(v));
    if (v > re[best]! / n) best = q;
  }
  mags.sort((a, b) => a - b);
  const median = mags[mags.length >> 1]!;
  if (re[best]! / n < PEAK_OVER_MEDIAN * median) return undefined;
  const rho = correlationAt(mono, best);
  if (rho <= 0) return undefined;
  const gain = rho >= 0.5 ? 1 : (1 - Math.sqrt(1 - 4 * rho * rho)) / (2 * rho);
  if (gain < MIN_GAIN) return undefined;
  return { delaySamples: best, gain: Math.min(MAX_GAIN, gain) };
}

/** Normalised autocorrelation of `x` at `lag`. */
function correlationAt(x: Float32Array, lag: number): number {
  let r0 = 0;
  let r = 0;
  for (let i = 0; i < x.length; i++) r0 += x[i]! * x[i]!;
  for (let i = lag; i < x.length; i++) r += x[i]! * x[i - lag]!;
  return r0 > 0 ? r / r0 : 0;
}

/** Removes the echo detected in the first DETECT_SEC, per channel, as a block stage. */
export function echoStage(rateHz: number, channels: number, intensity: 1 | 2 | 3 | 4 | 5, onDetected?: (e: EchoEstimate | undefined) => void): BlockStage {
  const detectSamples = Math.round(DETECT_SEC * rateHz);
  let buffered: Float32Array[][] = [];
  let bufferedLength = 0;
  let filter: ((x: Float32Array[]) => Float32Array[]) | undefined;

  const start = (): Float32Array[] => {
    const held = concatPlanar(buffered);
    buffered = [];
    const mono = new Float32Array(held[0]?.length ?? 0);
    for (const ch of held) for (let i = 0; i < mono.length; i++) mono[i] = mono[i]! + ch[i]! / held.length;
    const echo = mono.length > 0 ? detectEcho(mono, rateHz) : undefined;
    onDetected?.(echo);
    if (!echo) {
      filter = (x) => x;
    } else {
      const a = echo.gain * REMOVED_SHARE[intensity]!;
      const d = echo.delaySamples;
      // Each channel's last d outputs: the inverse filter's memory.
      const memory = Array.from({ length: channels }, () => new Float32Array(d));
      let at = 0;
      filter = (x) => {
        const out = x.map((ch) => new Float32Array(ch.length));
        for (let i = 0; i < (x[0]?.length ?? 0); i++) {
          for (let c = 0; c < channels; c++) {
            const y = x[c]![i]! - a * memory[c]![at]!;
            out[c]![i] = y;
            memory[c]![at] = y;
          }
          at = (at + 1) % d;
        }
        return out;
      };
    }
    return filter(held);
  };

  return {
    push(x) {
      if (filter) return filter(x as Float32Array[]);
      buffered.push(x.map((ch) => Float32Array.from(ch)));
      bufferedLength += x[0]?.length ?? 0;
      if (bufferedLength < detectSamples) return Array.from({ length: channels }, () => new Float32Array(0));
      return start();
    },
    flush() {
      if (filter) return Array.from({ length: channels }, () => new Float32Array(0));
      return start();
    },
  };
}
