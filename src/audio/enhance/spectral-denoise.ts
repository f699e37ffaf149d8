/**
 * A statistical noise suppressor after RNNoise, for what the network leaves: steady and
 * babble-like noise (many voices at once are, over a second or two, a steady spectrum). The noise
 * power per bin is tracked by minimum statistics (Martin 2001: the minimum of the smoothed power over
 * ~1.5 s, found from sub-window minima so memory stays fixed, scaled for its bias), and each bin gets
 * a Wiener gain from the decision-directed a-priori SNR (Ephraim & Malah 1984), floored by strength.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';

const SMOOTHING = 0.8;
const DECISION_DIRECTED = 0.96;
/** Sub-windows of the minimum search, and frames in each: 8 × 24 hops of 5.3 ms ≈ 1 s. */
const SUB_WINDOWS = 8;
const SUB_FRAMES = 24;
/** The minimum of a smoothed periodogram underestimates the mean noise power by about this much. */
const BIAS = 2;
const FLOOR_DB = [0, -12, -18, -24];
/** Over-estimation of the noise, by strength: more suppression, a little more speech distortion. */
const OVER = [0, 1.5, 2, 3];

export function spectralDenoise(fftSize: number, channels: number, strength: 1 | 2 | 3): FrameFunction {
  const bins = fftSize / 2 + 1;
  const floor = 10 ** (FLOOR_DB[strength]! / 20);
  const over = OVER[strength]!;
  const state = Array.from({ length: channels }, () => ({
    smoothed: new Float64Array(bins),
    currentMin: new Float64Array(bins).fill(Number.POSITIVE_INFINITY),
    minima: Array.from({ length: SUB_WINDOWS }, () => new Float64Array(bins).fill(Number.POSITIVE_INFINITY)),
    previousClean: new Float64Array(bins),
    frames: 0,
  }));
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    for (let c = 0; c < channels; c++) {
      const s = state[c]!;
      const { re, im } = input[c]!;
      const out = output[c]!;
      const slot = Math.floor(s.frames / SUB_FRAMES) % SUB_WINDOWS;
      for (let k = 0; k < bins; k++) {
        const p = re[k]! * re[k]! + im[k]! * im[k]!;
        s.smoothed[k] = s.frames === 0 ? p : SMOOTHING * s.smoothed[k]! + (1 - SMOOTHING) * p;
        s.currentMin[k] = Math.min(s.currentMin[k]!, s.smoothed[k]!);
        let noise = s.currentMin[k]!;
        for (const m of s.minima) noise = Math.min(noise, m[k]!);
        noise *= BIAS * over;
        const posterior = noise > 0 ? p / noise : 1e6;
        const prior = DECISION_DIRECTED * (noise > 0 ? s.previousClean[k]! / noise : 1e6) + (1 - DECISION_DIRECTED) * Math.max(0, posterior - 1);
        const gain = Math.max(floor, prior / (1 + prior));
        s.previousClean[k] = gain * gain * p;
        out.re[k] = re[k]! * gain;
        out.im[k] = im[k]! * gain;
      }
      s.frames++;
      if (s.frames % SUB_FRAMES === 0) {
        // A sub-window ends: its minimum replaces the oldest.
        s.minima[slot]!.set(s.currentMin);
        s.currentMin.fill(Number.POSITIVE_INFINITY);
      }
    }
  };
}
