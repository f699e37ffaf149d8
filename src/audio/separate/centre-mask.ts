/**
 * Two-stem separation of a stereo mix: lead vocals are mixed to the centre (equal and in phase in
 * both channels), instruments are spread across the stereo field. Per time-frequency bin, the
 * inter-channel similarity 2·Re(L·R*)/(|L|²+|R|²) is 1 for a centred source and falls towards 0 as
 * a source is panned away; a steep power of it is a soft mask for the centre, limited to the voice's
 * band (bass and kick, usually centred too, stay in the accompaniment). Vocals = mask × mid, in both
 * channels; accompaniment = the mix minus the vocals, so the two stems always sum to the mix.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';
import { voiceBandWeights } from './voice-band.js';

const SHARPNESS = 6;
const MASK_SMOOTHING = 0.3;

/** Input: L, R. Output: vocals L, vocals R, accompaniment L, accompaniment R. */
export function centreExtraction(fftSize: number, rateHz: number): FrameFunction {
  const bins = fftSize / 2 + 1;
  const band = voiceBandWeights(fftSize, rateHz);
  const mask = new Float64Array(bins);
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    const [l, r] = input as [Spectrum, Spectrum];
    const [vl, vr, al, ar] = output as [Spectrum, Spectrum, Spectrum, Spectrum];
    for (let k = 0; k < bins; k++) {
      const lr = l.re[k]!, li = l.im[k]!, rr = r.re[k]!, ri = r.im[k]!;
      const energy = lr * lr + li * li + rr * rr + ri * ri;
      const similarity = energy > 0 ? (2 * (lr * rr + li * ri)) / energy : 0;
      const wanted = Math.max(0, similarity) ** SHARPNESS * band[k]!;
      mask[k] = MASK_SMOOTHING * mask[k]! + (1 - MASK_SMOOTHING) * wanted;
      const midRe = ((lr + rr) / 2) * mask[k]!;
      const midIm = ((li + ri) / 2) * mask[k]!;
      vl.re[k] = midRe;
      vl.im[k] = midIm;
      vr.re[k] = midRe;
      vr.im[k] = midIm;
      al.re[k] = lr - midRe;
      al.im[k] = li - midIm;
      ar.re[k] = rr - midRe;
      ar.im[k] = ri - midIm;
    }
  };
}
