/**
 * The strong (strength 3) noise suppressor after RNNoise, for babble: many voices at once, which the
 * milder minimum-statistics Wiener stage (spectral-denoise.ts) leaves at about +4.6 dB SNR.
 * It runs on 4096-point frames (85 ms at 48 kHz, 11.7 Hz bins) so a voice's harmonics stand apart
 * from the babble between them. Its constants are per 21 ms hop.
 *
 * Noise tracking is MCRA (Cohen & Berdugo 2002): minimum statistics (Martin 2001: the minimum of the
 * smoothed power over ~1 s, found from sub-window minima so memory stays fixed) decide, per bin,
 * whether speech is present (smoothed power well above the minimum); the noise estimate is a
 * recursive average of the power that only moves while speech is absent, so it follows the babble's
 * mean level rather than its dips. The gain is OM-LSA (Cohen & Berdugo 2001): the log-spectral
 * amplitude estimator (Ephraim & Malah 1985) on the decision-directed a-priori SNR, raised to the
 * speech-presence probability and the floor to its complement, so bins without speech go down to the
 * floor while speech keeps the LSA gain (a floor, not zero: no musical noise).
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';
import { MinimumStatistics } from './minimum-statistics.js';

const DECISION_DIRECTED = 0.96;
/** MCRA: smoothed power over this many times its minimum means speech in the bin. */
const PRESENCE_RATIO = 5;
/** MCRA's smoothing of the presence indicator and of the noise power (per 5.3 ms hop). */
const PRESENCE_SMOOTHING = 0.9;
const NOISE_SMOOTHING = 0.95;
/** Prior probability of speech absence, for the presence probability of each bin. */
const ABSENCE_PRIOR = 0.2;
/** The gain floor where speech is absent: low enough to matter, high enough for no musical noise. */
const FLOOR_DB = -18;
const MIN_PRIOR = 10 ** (-25 / 10);

/** The exponential integral E1(x), x > 0 (Abramowitz & Stegun 5.1.53 and 5.1.56). */
function expint(x: number): number {
  if (x <= 1) return -0.57721566 - Math.log(x) + x * (0.99999193 + x * (-0.24991055 + x * (0.05519968 + x * (-0.00976004 + x * 0.00107857))));
  return (Math.exp(-x) / x) * ((x * x + 2.334733 * x + 0.250621) / (x * x + 3.330657 * x + 1.681534));
}

/** OM-LSA with MCRA noise tracking, per channel; frames of `fftSize` with a hop of a quarter of it. */
export function omlsaDenoise(fftSize: number, channels: number): FrameFunction {
  const bins = fftSize / 2 + 1;
  const floor = 10 ** (FLOOR_DB / 20);
  const absenceOdds = ABSENCE_PRIOR / (1 - ABSENCE_PRIOR);
  const state = Array.from({ length: channels }, () => ({
    // 8 × 24 hops of 21 ms: the minimum over ~4 s (babble's dips are short, speech pauses longer).
    minimum: new MinimumStatistics(bins),
    presence: new Float64Array(bins),
    noise: new Float64Array(bins),
    previousClean: new Float64Array(bins),
  }));
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    for (let c = 0; c < channels; c++) {
      const s = state[c]!;
      const { re, im } = input[c]!;
      const out = output[c]!;
      const first = s.minimum.first;
      for (let k = 0; k < bins; k++) {
        const p = re[k]! * re[k]! + im[k]! * im[k]!;
        const minimum = s.minimum.update(k, p);
        const present = s.minimum.smoothed[k]! > PRESENCE_RATIO * minimum ? 1 : 0;
        s.presence[k] = PRESENCE_SMOOTHING * s.presence[k]! + (1 - PRESENCE_SMOOTHING) * present;
        const alpha = NOISE_SMOOTHING + (1 - NOISE_SMOOTHING) * s.presence[k]!;
        s.noise[k] = first ? p : alpha * s.noise[k]! + (1 - alpha) * p;
        const noise = s.noise[k]!;
        const posterior = noise > 0 ? Math.min(p / noise, 1e6) : 1e6;
        const prior = Math.max(MIN_PRIOR, DECISION_DIRECTED * (noise > 0 ? Math.min(s.previousClean[k]! / noise, 1e6) : 1e6) + (1 - DECISION_DIRECTED) * Math.max(0, posterior - 1));
        const v = (posterior * prior) / (1 + prior);
        const lsa = Math.min(1, (prior / (1 + prior)) * Math.exp(0.5 * expint(Math.max(v, 1e-8))));
        const speech = 1 / (1 + absenceOdds * (1 + prior) * Math.exp(-Math.min(v, 50)));
        const gain = Math.max(floor, lsa ** speech * floor ** (1 - speech));
        s.previousClean[k] = lsa * lsa * p;
        out.re[k] = re[k]! * gain;
        out.im[k] = im[k]! * gain;
      }
      s.minimum.endFrame();
    }
  };
}
