/**
 * Two-stem separation of a mono mix, where no stereo cue exists: a voice is harmonic (steady
 * partials, smooth along time) but not repeating, while accompaniment is either percussive (a
 * broadband click, smooth along frequency) or repeats (loops, held chords). Harmonic–percussive
 * median filtering (Fitzgerald 2010) gives the first split, and a REPET-like repeating-background
 * model (Rafii & Pardo: a median over the past; here over a sparse history of ~3 s, kept bounded)
 * takes what repeats out of the harmonic part. The voice mask is a Wiener-style ratio, in the voice
 * band; the accompaniment is the mix minus the vocals.
 *
 * The time median needs future frames: the frame function answers MONO_DELAY_FRAMES late.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';
import { voiceBandWeights } from './voice-band.js';

export const MONO_DELAY_FRAMES = 3;
const FREQ_MEDIAN_BINS = 17;
/** Repeating background: every REPEAT_STRIDE-th frame kept, REPEAT_FRAMES of them. */
const REPEAT_STRIDE = 8;
const REPEAT_FRAMES = 31;

function median(values: Float64Array, scratch: Float64Array): number {
  scratch.set(values);
  scratch.sort();
  return scratch[scratch.length >> 1]!;
}

/** Input: the mix. Output: vocals, accompaniment. */
export function monoSeparation(fftSize: number, rateHz: number): FrameFunction {
  const bins = fftSize / 2 + 1;
  const band = voiceBandWeights(fftSize, rateHz);
  const span = 2 * MONO_DELAY_FRAMES + 1;
  // Ring of the last `span` spectra (complex, for output) and magnitudes.
  const ringRe = Array.from({ length: span }, () => new Float64Array(bins));
  const ringIm = Array.from({ length: span }, () => new Float64Array(bins));
  const ringMag = Array.from({ length: span }, () => new Float64Array(bins));
  const repeat = Array.from({ length: REPEAT_FRAMES }, () => new Float64Array(bins));
  let repeatCount = 0;
  let frame = 0;
  const column = new Float64Array(span);
  const columnScratch = new Float64Array(span);
  const repeatColumn = new Float64Array(REPEAT_FRAMES);
  const repeatScratch = new Float64Array(REPEAT_FRAMES);
  const freqWindow = new Float64Array(FREQ_MEDIAN_BINS);
  const freqScratch = new Float64Array(FREQ_MEDIAN_BINS);
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    const x = input[0]!;
    const slot = frame % span;
    for (let k = 0; k < bins; k++) {
      ringRe[slot]![k] = x.re[k]!;
      ringIm[slot]![k] = x.im[k]!;
      ringMag[slot]![k] = Math.hypot(x.re[k]!, x.im[k]!);
    }
    // The frame answered now: the middle of the ring.
    const centre = (frame - MONO_DELAY_FRAMES + span * 2) % span;
    const mag = ringMag[centre]!;
    if (frame >= MONO_DELAY_FRAMES && (frame - MONO_DELAY_FRAMES) % REPEAT_STRIDE === 0) {
      repeat[repeatCount % REPEAT_FRAMES]!.set(mag);
      repeatCount++;
    }
    const [v, a] = output as [Spectrum, Spectrum];
    const half = FREQ_MEDIAN_BINS >> 1;
    const haveRepeat = Math.min(repeatCount, REPEAT_FRAMES);
    for (let k = 0; k < bins; k++) {
      for (let j = 0; j < span; j++) column[j] = ringMag[j]![k]!;
      const harmonic = median(column, columnScratch);
      for (let j = 0; j < FREQ_MEDIAN_BINS; j++) freqWindow[j] = mag[Math.min(bins - 1, Math.max(0, k - half + j))]!;
      const percussive = median(freqWindow, freqScratch);
      let background = 0;
      if (haveRepeat >= 4) {
        const col = repeatColumn.subarray(0, haveRepeat);
        for (let j = 0; j < haveRepeat; j++) col[j] = repeat[j]![k]!;
        background = Math.min(mag[k]!, median(col, repeatScratch.subarray(0, haveRepeat)));
      }
      // What does not repeat is voice, unless it is broadband along frequency (a hit) more than steady in time.
      const hit = Math.max(0, percussive - harmonic);
      const voice = Math.max(0, mag[k]! - background - hit);
      const denom = voice * voice + hit * hit + background * background;
      const m = denom > 0 ? ((voice * voice) / denom) * band[k]! : 0;
      const re = ringRe[centre]![k]!;
      const im = ringIm[centre]![k]!;
      v.re[k] = re * m;
      v.im[k] = im * m;
      a.re[k] = re * (1 - m);
      a.im[k] = im * (1 - m);
    }
    frame++;
  };
}
