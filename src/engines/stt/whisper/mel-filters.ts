/**
 * Whisper's mel filter bank, computed rather than shipped: OpenAI's `whisper/assets/mel_filters.npz`
 * is `librosa.filters.mel(sr=16000, n_fft=400, n_mels=80|128)`, i.e. the Slaney mel scale (linear
 * below 1 kHz, logarithmic above) with Slaney area normalisation (each triangle scaled by
 * 2 / its width in Hz). This is librosa's algorithm step for step, in float64, stored as float32
 * as librosa returns it; test/whisper-mel.test.ts holds it to values read from OpenAI's file.
 */

/** One mel band: its non-zero FFT-bin weights, `weights[i]` applying to bin `firstBin + i`. */
export interface MelBand {
  firstBin: number;
  weights: Float32Array;
}

export interface MelFilterBank {
  nMels: number;
  nFftBins: number;
  bands: MelBand[];
}

// Slaney's Auditory Toolbox constants, as librosa.hz_to_mel(htk=False) uses them.
const LINEAR_HZ_PER_MEL = 200 / 3;
const LOG_REGION_START_HZ = 1000;
const LOG_REGION_START_MEL = LOG_REGION_START_HZ / LINEAR_HZ_PER_MEL;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMelSlaney(hz: number): number {
  if (hz < LOG_REGION_START_HZ) return hz / LINEAR_HZ_PER_MEL;
  return LOG_REGION_START_MEL + Math.log(hz / LOG_REGION_START_HZ) / LOG_STEP;
}

export function melToHzSlaney(mel: number): number {
  if (mel < LOG_REGION_START_MEL) return mel * LINEAR_HZ_PER_MEL;
  return LOG_REGION_START_HZ * Math.exp(LOG_STEP * (mel - LOG_REGION_START_MEL));
}

/** The `n_mels + 2` band edges in Hz (librosa.mel_frequencies), band i spanning edges i..i+2. */
export function melBandEdgesHz(nMels: number, sampleRateHz: number): number[] {
  const maxMel = hzToMelSlaney(sampleRateHz / 2);
  const edges: number[] = [];
  for (let i = 0; i < nMels + 2; i++) edges.push(melToHzSlaney((maxMel * i) / (nMels + 1)));
  return edges;
}

/** librosa.filters.mel(sr, n_fft, n_mels) with fmin 0, fmax sr/2, htk False, norm 'slaney'. */
export function melFilterBank(nMels: number, nFft: number, sampleRateHz: number): MelFilterBank {
  const nFftBins = Math.floor(nFft / 2) + 1;
  const binHz = (k: number): number => (k * (sampleRateHz / 2)) / (nFftBins - 1);
  const edges = melBandEdgesHz(nMels, sampleRateHz);
  const bands: MelBand[] = [];
  for (let m = 0; m < nMels; m++) {
    const lowHz = edges[m];
    const centreHz = edges[m + 1];
    const highHz = edges[m + 2];
    const areaNorm = 2 / (highHz - lowHz);
    const row = new Float64Array(nFftBins);
    for (let k = 0; k < nFftBins; k++) {
      const rising = (binHz(k) - lowHz) / (centreHz - lowHz);
      const falling = (highHz - binHz(k)) / (highHz - centreHz);
      row[k] = Math.max(0, Math.min(rising, falling)) * areaNorm;
    }
    let first = 0;
    while (first < nFftBins && row[first] === 0) first++;
    let last = nFftBins - 1;
    while (last >= first && row[last] === 0) last--;
    bands.push({ firstBin: first, weights: Float32Array.from(row.subarray(first, last + 1)) });
  }
  return { nMels, nFftBins, bands };
}

/** The bank as a dense row-major `nMels x nFftBins` matrix, the layout of OpenAI's .npz arrays. */
export function denseFilterBank(bank: MelFilterBank): Float32Array {
  const dense = new Float32Array(bank.nMels * bank.nFftBins);
  bank.bands.forEach((band, m) => dense.set(band.weights, m * bank.nFftBins + band.firstBin));
  return dense;
}
