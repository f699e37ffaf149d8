/**
 * Kaldi-style log mel filterbank features, the input every published speaker-embedding export
 * (WeSpeaker, 3D-Speaker, ECAPA-TDNN via sherpa-onnx) was trained on: 16 kHz, 25 ms Povey-window
 * frames every 10 ms, DC removed, pre-emphasis 0.97, 512-point power spectrum, 80 triangular
 * filters on Kaldi's mel scale (1127 ln(1 + f/700)) from 20 Hz to Nyquist, natural log, samples
 * at int16 scale (as `torchaudio.compliance.kaldi.fbank` is fed by WeSpeaker), then the
 * per-utterance mean subtracted (CMN), as those recipes do before the network.
 */
import { RadixTwoFft } from '../../audio/fft.js';

export const FBANK_BINS = 80;
const RATE = 16_000;
const FRAME = 400;
const HOP = 160;
const FFT_SIZE = 512;
const PRE_EMPHASIS = 0.97;
const LOW_HZ = 20;
const FLOOR = 1.1920929e-7;

const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);

interface Filter { first: number; weights: Float64Array }

function filterBank(): Filter[] {
  const lo = mel(LOW_HZ);
  const hi = mel(RATE / 2);
  const step = (hi - lo) / (FBANK_BINS + 1);
  const out: Filter[] = [];
  for (let m = 0; m < FBANK_BINS; m++) {
    const [l, c, r] = [lo + m * step, lo + (m + 1) * step, lo + (m + 2) * step];
    const weights = new Float64Array(FFT_SIZE / 2);
    let first = -1;
    let last = -1;
    for (let k = 0; k < FFT_SIZE / 2; k++) {
      const f = mel((k * RATE) / FFT_SIZE);
      const w = f > l && f < r ? (f <= c ? (f - l) / (c - l) : (r - f) / (r - c)) : 0;
      if (w > 0) {
        if (first < 0) first = k;
        last = k;
      }
      weights[k] = w;
    }
    out.push({ first: Math.max(0, first), weights: weights.slice(Math.max(0, first), last + 1) });
  }
  return out;
}

/** Features of 16 kHz PCM: `frames` rows of FBANK_BINS, row-major, mean-normalised per bin. */
export function fbank(pcm: Int16Array): { data: Float32Array; frames: number } {
  const frames = pcm.length < FRAME ? 0 : 1 + Math.floor((pcm.length - FRAME) / HOP);
  const data = new Float32Array(frames * FBANK_BINS);
  const fft = new RadixTwoFft(FFT_SIZE);
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  const window = Float64Array.from({ length: FRAME }, (_, n) => (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (FRAME - 1))) ** 0.85);
  const bank = filterBank();
  for (let t = 0; t < frames; t++) {
    const start = t * HOP;
    let mean = 0;
    for (let n = 0; n < FRAME; n++) mean += pcm[start + n]!;
    mean /= FRAME;
    for (let n = FRAME - 1; n >= 0; n--) {
      const x = pcm[start + n]! - mean;
      const prev = n > 0 ? pcm[start + n - 1]! - mean : x;
      re[n] = (x - PRE_EMPHASIS * prev) * window[n]!;
    }
    re.fill(0, FRAME);
    im.fill(0);
    fft.transform(re, im);
    for (let m = 0; m < FBANK_BINS; m++) {
      const { first, weights } = bank[m]!;
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * (re[first + k]! ** 2 + im[first + k]! ** 2);
      data[t * FBANK_BINS + m] = Math.log(Math.max(sum, FLOOR));
    }
  }
  for (let m = 0; m < FBANK_BINS && frames > 0; m++) {
    let mean = 0;
    for (let t = 0; t < frames; t++) mean += data[t * FBANK_BINS + m]!;
    mean /= frames;
    for (let t = 0; t < frames; t++) data[t * FBANK_BINS + m] -= mean;
  }
  return { data, frames };
}
