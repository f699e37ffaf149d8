/**
 * Late-reverberation suppression (Lebart, Boucher & Denbigh 2001; Habets' statistical model): the
 * reverberant tail of a room decays exponentially at a rate set by its reverberation time, so the
 * late-reverb power in a bin now is predicted from the observed power `DELAY_SEC` ago, scaled by that
 * decay. A spectral gain subtracts the prediction; direct sound and early reflections, which exceed
 * it, pass. After a word ends the observed power is almost all tail, and the tail is removed.
 *
 * `intensity` 1-5 sets the reverberation time assumed, the over-subtraction and the gain floor.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';

/** Direct sound and early reflections arrive within this; later energy is "late" reverb. */
const DELAY_SEC = 0.05;
/** Power smoothing over frames (a one-pole average): a steadier estimate, fewer "musical" artefacts. */
const POWER_SMOOTHING = 0.6;
const GAIN_SMOOTHING = 0.5;

interface Setting {
  rt60Sec: number;
  overSubtraction: number;
  floorDb: number;
}

const SETTINGS: Record<1 | 2 | 3 | 4 | 5, Setting> = {
  1: { rt60Sec: 0.4, overSubtraction: 1, floorDb: -8 },
  2: { rt60Sec: 0.5, overSubtraction: 1.5, floorDb: -12 },
  3: { rt60Sec: 0.6, overSubtraction: 2, floorDb: -18 },
  4: { rt60Sec: 0.8, overSubtraction: 2.5, floorDb: -22 },
  5: { rt60Sec: 1, overSubtraction: 3, floorDb: -26 },
};

export function lateReverbSuppression(fftSize: number, hop: number, rateHz: number, channels: number, intensity: 1 | 2 | 3 | 4 | 5): FrameFunction {
  const s = SETTINGS[intensity];
  const bins = fftSize / 2 + 1;
  const delayFrames = Math.max(1, Math.round((DELAY_SEC * rateHz) / hop));
  const decay = Math.exp((-2 * ((3 * Math.LN10) / s.rt60Sec) * delayFrames * hop) / rateHz);
  const floor = 10 ** (s.floorDb / 20);
  // Per channel: smoothed power history (a ring of delayFrames + 1 frames) and the last gains.
  const history = Array.from({ length: channels }, () => Array.from({ length: delayFrames + 1 }, () => new Float64Array(bins)));
  const gains = Array.from({ length: channels }, () => new Float64Array(bins).fill(1));
  let frame = 0;
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    const now = frame % (delayFrames + 1);
    const past = (frame + 1) % (delayFrames + 1);
    for (let c = 0; c < channels; c++) {
      const { re, im } = input[c]!;
      const ring = history[c]!;
      const previous = ring[(now + delayFrames) % (delayFrames + 1)]!;
      const power = ring[now]!;
      const old = ring[past]!;
      const g = gains[c]!;
      const out = output[c]!;
      for (let k = 0; k < bins; k++) {
        const p = re[k]! * re[k]! + im[k]! * im[k]!;
        power[k] = frame === 0 ? p : POWER_SMOOTHING * previous[k]! + (1 - POWER_SMOOTHING) * p;
        const late = frame >= delayFrames ? decay * old[k]! : 0;
        const wanted = power[k]! > 0 ? Math.max(floor, 1 - (s.overSubtraction * late) / power[k]!) : floor;
        g[k] = GAIN_SMOOTHING * g[k]! + (1 - GAIN_SMOOTHING) * wanted;
        out.re[k] = re[k]! * g[k]!;
        out.im[k] = im[k]! * g[k]!;
      }
    }
    frame++;
  };
}
