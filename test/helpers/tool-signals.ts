/**
 * Signals whose truth the audio tool tests know because they made them: a speech-like voice
 * (voiced syllables on a gliding pitch with formants, and pauses), plucked instruments that repeat,
 * a synthetic room response, and the measures the tests compare with (SNR/SDR against a reference).
 */
import { RadixTwoFft } from '../../src/audio/fft.js';

/** A small deterministic PRNG (mulberry32), so every run hears the same signal. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SpeechLike {
  signal: Float32Array;
  /** Sample index where each syllable starts and ends (a pause follows). */
  onsets: number[];
  offsets: number[];
}

/** Voiced syllables (120-280 ms) separated by pauses (150-300 ms), peak about 0.5. */
export function speechLike(rateHz: number, seconds: number, seed = 1): SpeechLike {
  const rnd = random(seed);
  const signal = new Float32Array(Math.round(rateHz * seconds));
  const offsets: number[] = [];
  const onsets: number[] = [];
  let at = Math.round(0.1 * rateHz);
  while (true) {
    const len = Math.round((0.12 + 0.16 * rnd()) * rateHz);
    if (at + len >= signal.length) break;
    const f0a = 100 + 60 * rnd();
    const f0b = f0a * (0.9 + 0.2 * rnd());
    const formants = [400 + 500 * rnd(), 1000 + 1200 * rnd(), 2300 + 800 * rnd()];
    let phase = 0;
    onsets.push(at);
    for (let i = 0; i < len; i++) {
      const t = i / len;
      const f0 = f0a + (f0b - f0a) * t;
      phase += (2 * Math.PI * f0) / rateHz;
      const env = Math.sin(Math.PI * Math.min(1, t * 4)) ** 2 * (t > 0.75 ? Math.cos(((t - 0.75) / 0.25) * (Math.PI / 2)) : 1);
      let s = 0;
      for (let h = 1; h * f0 < 4000; h++) {
        const f = h * f0;
        let g = 0;
        for (const fm of formants) g += 1 / (1 + ((f - fm) / 150) ** 2);
        s += (g / h ** 0.5) * Math.sin(h * phase);
      }
      signal[at + i] = 0.12 * env * s;
    }
    at += len;
    offsets.push(at);
    at += Math.round((0.15 + 0.15 * rnd()) * rateHz);
  }
  return { signal, onsets, offsets };
}

/** A plucked note (decaying harmonics) at `f0` every `periodSec`, for `seconds`: a repeating accompaniment. */
export function pluckedLoop(rateHz: number, seconds: number, f0s: number[], periodSec: number, gain = 0.2): Float32Array {
  const out = new Float32Array(Math.round(rateHz * seconds));
  const period = Math.round(periodSec * rateHz);
  for (let n = 0, start = 0; start < out.length; n++, start += period) {
    const f0 = f0s[n % f0s.length]!;
    for (let i = 0; i < period && start + i < out.length; i++) {
      const t = i / rateHz;
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.exp(-t * (3 + h)) * Math.sin(2 * Math.PI * h * f0 * t) / h;
      out[start + i] = gain * s;
    }
  }
  return out;
}

/** A room: the direct sound then exponentially decaying noise reaching -60 dB at `rt60Sec`. */
export function roomResponse(rateHz: number, rt60Sec: number, seed = 7): Float32Array {
  const rnd = random(seed);
  const ir = new Float32Array(Math.round(rateHz * rt60Sec));
  ir[0] = 1;
  const start = Math.round(0.005 * rateHz);
  for (let i = start; i < ir.length; i++) ir[i] = (rnd() * 2 - 1) * 0.5 * Math.exp((-3 * Math.LN10 * i) / (rt60Sec * rateHz));
  return ir;
}

/** Linear convolution by FFT, trimmed to the length of `x`. */
export function convolve(x: Float32Array, h: Float32Array): Float32Array {
  let n = 1;
  while (n < x.length + h.length) n <<= 1;
  const fft = new RadixTwoFft(n);
  const xr = new Float64Array(n), xi = new Float64Array(n), hr = new Float64Array(n), hi = new Float64Array(n);
  xr.set(x);
  hr.set(h);
  fft.transform(xr, xi);
  fft.transform(hr, hi);
  for (let k = 0; k < n; k++) {
    const r = xr[k]! * hr[k]! - xi[k]! * hi[k]!;
    const i = xr[k]! * hi[k]! + xi[k]! * hr[k]!;
    // Conjugated for the inverse by a forward transform.
    xr[k] = r;
    xi[k] = -i;
  }
  fft.transform(xr, xi);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = xr[i]! / n;
  return out;
}

export function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return e;
}

/** Signal-to-distortion ratio (dB) of `estimate` against `reference`, after the best scaling. */
export function sdr(reference: ArrayLike<number>, estimate: ArrayLike<number>): number {
  let dot = 0;
  const n = Math.min(reference.length, estimate.length);
  for (let i = 0; i < n; i++) dot += reference[i]! * estimate[i]!;
  const alpha = dot / energy(reference, 0, n);
  let err = 0;
  for (let i = 0; i < n; i++) err += (estimate[i]! - alpha * reference[i]!) ** 2;
  return 10 * Math.log10((alpha * alpha * energy(reference, 0, n)) / err);
}

export function db(ratio: number): number {
  return 10 * Math.log10(ratio);
}
