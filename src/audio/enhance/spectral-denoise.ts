/**
 * A statistical noise suppressor after RNNoise, for what the network leaves: steady and
 * babble-like noise (many voices at once are, over a second or two, a steady spectrum). The noise
 * power per bin is tracked by minimum statistics (Martin 2001: the minimum of the smoothed power over
 * ~1.5 s, found from sub-window minima so memory stays fixed, scaled for its bias), and each bin gets
 * a Wiener gain from the decision-directed a-priori SNR (Ephraim & Malah 1984), floored by strength.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';
import { MinimumStatistics } from './minimum-statistics.js';

const DECISION_DIRECTED = 0.96;
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
    // 8 × 24 hops of 5.3 ms: the minimum over ~1 s.
    minimum: new MinimumStatistics(bins),
    previousClean: new Float64Array(bins),
  }));
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    for (let c = 0; c < channels; c++) {
      const s = state[c]!;
      const { re, im } = input[c]!;
      const out = output[c]!;
      for (let k = 0; k < bins; k++) {
        const p = re[k]! * re[k]! + im[k]! * im[k]!;
        const noise = s.minimum.update(k, p) * BIAS * over;
        const posterior = noise > 0 ? p / noise : 1e6;
        const prior = DECISION_DIRECTED * (noise > 0 ? s.previousClean[k]! / noise : 1e6) + (1 - DECISION_DIRECTED) * Math.max(0, posterior - 1);
        const gain = Math.max(floor, prior / (1 + prior));
        s.previousClean[k] = gain * gain * p;
        out.re[k] = re[k]! * gain;
        out.im[k] = im[k]! * gain;
      }
      s.minimum.endFrame();
    }
  };
}
