/**
 * Whisper's log-mel spectrogram, as `log_mel_spectrogram` and `pad_or_trim` in OpenAI's
 * `whisper/audio.py` compute it: 16 kHz mono float samples, a 400-point STFT every 160 samples
 * with a periodic Hann window and torch.stft's defaults (center=True, reflect padding of 200
 * samples each side), the last frame dropped (`stft[..., :-1]`), power spectrum times the mel
 * filter bank, `log10(max(x, 1e-10))`, floored at the global maximum minus 8, then
 * `(x + 4) / 4`. Output layout is `[nMels][nFrames]` row-major, the encoder's
 * `input_features` shape `[1, nMels, 3000]` once trimmed to one window.
 */
import { FftPlan } from './fft.js';
import { melFilterBank, type MelFilterBank } from './mel-filters.js';

export const WHISPER_SAMPLE_RATE_HZ = 16_000;
export const N_FFT = 400;
export const HOP_LENGTH = 160;
export const CHUNK_LENGTH_S = 30;
/** Samples in one 30 s window: the encoder's fixed input. */
export const N_SAMPLES = CHUNK_LENGTH_S * WHISPER_SAMPLE_RATE_HZ;
/** Mel frames in one 30 s window (10 ms each). */
export const N_FRAMES = N_SAMPLES / HOP_LENGTH;
/** The mel bin counts OpenAI's checkpoints use: 80 for all but large-v3 / large-v3-turbo (128). */
export type WhisperMelBins = 80 | 128;

const POWER_FLOOR = 1e-10;
const DYNAMIC_RANGE_LOG10 = 8;

export interface LogMel {
  nMels: number;
  nFrames: number;
  /** `data[m * nFrames + t]` is mel bin m of frame t. */
  data: Float32Array;
}

const banks = new Map<number, MelFilterBank>();

/** The filter bank for `nMels`, computed once per process. */
export function whisperMelFilters(nMels: WhisperMelBins): MelFilterBank {
  let bank = banks.get(nMels);
  if (bank === undefined) {
    bank = melFilterBank(nMels, N_FFT, WHISPER_SAMPLE_RATE_HZ);
    banks.set(nMels, bank);
  }
  return bank;
}

/** torch.hann_window(400): the periodic window, 0.5 − 0.5·cos(2πn/N). */
function periodicHann(size: number): Float64Array {
  const window = new Float64Array(size);
  for (let n = 0; n < size; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / size);
  return window;
}

const HANN = periodicHann(N_FFT);
const FFT = new FftPlan(N_FFT);

/**
 * `log_mel_spectrogram(samples, n_mels, padding=paddingSamples)`: `paddingSamples` zeros are
 * appended first, as `transcribe()` appends a whole window (N_SAMPLES) so the last segment is
 * complete; the global maximum that sets the floor is taken over the padded result, as there.
 */
export function logMelSpectrogram(samples: Float32Array, nMels: WhisperMelBins, paddingSamples = 0): LogMel {
  const length = samples.length + paddingSamples;
  const half = N_FFT / 2;
  // torch's reflect padding needs more samples than the pad: shorter input is an error there too.
  if (length <= half) throw new RangeError(`need more than ${half} samples for the STFT, got ${length}`);
  const nFrames = Math.floor(length / HOP_LENGTH);
  const sampleAt = (i: number): number => {
    const reflected = i < 0 ? -i : i >= length ? 2 * (length - 1) - i : i;
    return reflected < samples.length ? samples[reflected] : 0;
  };

  const bank = whisperMelFilters(nMels);
  const nBins = N_FFT / 2 + 1;
  // float32 throughout, as torch computes it: an hour of audio is 80 x 360000 values (115 MB).
  const mel = new Float32Array(nMels * nFrames);
  const re = new Float64Array(N_FFT);
  const im = new Float64Array(N_FFT);
  const powerA = new Float64Array(nBins);
  const powerB = new Float64Array(nBins);
  // Two real frames per complex FFT (one in the real part, one in the imaginary part), split
  // afterwards by the conjugate symmetry of real transforms: half the transforms.
  for (let t = 0; t < nFrames; t += 2) {
    const hasB = t + 1 < nFrames;
    const startA = t * HOP_LENGTH - half;
    const startB = startA + HOP_LENGTH;
    for (let n = 0; n < N_FFT; n++) {
      re[n] = sampleAt(startA + n) * HANN[n];
      im[n] = hasB ? sampleAt(startB + n) * HANN[n] : 0;
    }
    FFT.transform(re, im);
    for (let k = 0; k < nBins; k++) {
      const mirror = (N_FFT - k) % N_FFT;
      // A = (X[k] + conj X[N−k]) / 2, B = (X[k] − conj X[N−k]) / 2i
      const aRe = (re[k] + re[mirror]) / 2;
      const aIm = (im[k] - im[mirror]) / 2;
      const bRe = (im[k] + im[mirror]) / 2;
      const bIm = (re[mirror] - re[k]) / 2;
      powerA[k] = aRe * aRe + aIm * aIm;
      powerB[k] = bRe * bRe + bIm * bIm;
    }
    applyBank(bank, powerA, mel, t, nFrames);
    if (hasB) applyBank(bank, powerB, mel, t + 1, nFrames);
  }

  let maxLog = -Infinity;
  for (let i = 0; i < mel.length; i++) {
    mel[i] = Math.log10(Math.max(mel[i], POWER_FLOOR));
    if (mel[i] > maxLog) maxLog = mel[i];
  }
  const floorLog = maxLog - DYNAMIC_RANGE_LOG10;
  for (let i = 0; i < mel.length; i++) mel[i] = (Math.max(mel[i], floorLog) + 4) / 4;
  return { nMels, nFrames, data: mel };
}

function applyBank(bank: MelFilterBank, power: Float64Array, mel: Float32Array, frame: number, nFrames: number): void {
  for (let m = 0; m < bank.nMels; m++) {
    const { firstBin, weights } = bank.bands[m];
    let sum = 0;
    for (let i = 0; i < weights.length; i++) sum += weights[i] * power[firstBin + i];
    mel[m * nFrames + frame] = sum;
  }
}

/** `pad_or_trim(samples, N_SAMPLES)`: zeros appended or the tail cut to exactly `length`. */
export function padOrTrimSamples(samples: Float32Array, length = N_SAMPLES): Float32Array {
  if (samples.length === length) return samples;
  const out = new Float32Array(length);
  out.set(samples.length > length ? samples.subarray(0, length) : samples);
  return out;
}

/**
 * `pad_or_trim(mel[:, start:start+frames], N_FRAMES)`: one encoder window of frames from
 * `startFrame`, zero-padded (zero, not the floor value, as Whisper pads) past the end.
 */
export function melWindow(mel: LogMel, startFrame: number, frames = N_FRAMES): LogMel {
  const data = new Float32Array(mel.nMels * frames);
  const available = Math.max(0, Math.min(frames, mel.nFrames - startFrame));
  for (let m = 0; m < mel.nMels; m++) {
    const from = m * mel.nFrames + startFrame;
    data.set(mel.data.subarray(from, from + available), m * frames);
  }
  return { nMels: mel.nMels, nFrames: frames, data };
}
