/**
 * Bandwidth extension (`super_resolution`): speech recorded through a phone line or at 8-16 kHz has
 * nothing above its cut-off, which sounds muffled at 48 kHz. The band below the cut-off is folded up
 * (spectral band replication, as in HE-AAC), copy after copy to Nyquist, each copy weaker following
 * a natural high-frequency tilt, so sibilants and breath regain an upper band. The cut-off is
 * measured from the signal (frames with energy), so full-band audio is left alone.
 */
import type { FrameFunction, Spectrum } from '../dsp/stft-block.js';

/** Energy share below the cut-off: above it, a frame counts as empty. */
const CUTOFF_ENERGY_SHARE = 0.9995;
/** A cut-off above this share of Nyquist is full band: nothing to extend. */
const FULL_BAND = 0.85;
/** Each folded copy this much weaker (dB), by strength. */
const TILT_DB = [0, 12, 9, 6];
const SMOOTHING = 0.9;

export function bandwidthExtension(fftSize: number, channels: number, strength: 1 | 2 | 3): FrameFunction {
  const half = fftSize / 2;
  let cutoff = half;
  let seen = false;
  const copyGain = 10 ** (-TILT_DB[strength]! / 20);
  return (input: readonly Spectrum[], output: Spectrum[]) => {
    // One cut-off for all channels, from their summed power.
    let total = 0;
    const power = new Float64Array(half + 1);
    for (const s of input) {
      for (let k = 0; k <= half; k++) power[k] = power[k]! + s.re[k]! * s.re[k]! + s.im[k]! * s.im[k]!;
    }
    for (let k = 0; k <= half; k++) total += power[k]!;
    if (total > 1e-6 * fftSize) {
      let acc = 0;
      let k = 0;
      for (; k < half && acc < CUTOFF_ENERGY_SHARE * total; k++) acc += power[k]!;
      cutoff = seen ? SMOOTHING * cutoff + (1 - SMOOTHING) * k : k;
      seen = true;
    }
    const kc = Math.round(cutoff);
    for (let c = 0; c < channels; c++) {
      const src = input[c]!;
      const dst = output[c]!;
      dst.re.set(src.re.subarray(0, half + 1));
      dst.im.set(src.im.subarray(0, half + 1));
      if (!seen || kc >= FULL_BAND * half || kc < half / 16) continue;
      // Copies of the top octave below the cut-off, [kc/2, kc), stacked up to Nyquist.
      const width = Math.floor(kc / 2);
      let gain = copyGain;
      for (let start = kc; start <= half; start += width, gain *= copyGain) {
        for (let i = 0; i < width && start + i <= half; i++) {
          const from = kc - width + i;
          // A short fade-in over the first bins of the first copy avoids an edge at the cut-off.
          const fade = start === kc ? Math.min(1, (i + 1) / 8) : 1;
          dst.re[start + i] = dst.re[start + i]! + src.re[from]! * gain * fade;
          dst.im[start + i] = dst.im[start + i]! + src.im[from]! * gain * fade;
        }
      }
    }
  };
}
