/**
 * A voice as numbers: the embedded speaker embedding (no model to install) and the statistics the
 * converter moves a recording toward. From analysed frames (voice-analyzer.ts):
 * - speech frames: within SPEECH_RANGE of the clip's loud frames (pauses are shared by everyone);
 * - F0: mean and standard deviation of log F0 over voiced speech frames;
 * - envelope: the mean log band spectrum of voiced speech frames, its own mean removed (a shape,
 *   independent of loudness): where the formants sit;
 * - embedding: i-vector-like statistics, as src/stt/diarize.ts uses to tell speakers apart, plus
 *   the F0 statistics: mean and deviation of MFCC c1..c12, deviation of their deltas, scaled so
 *   each group weighs about the same, centred, and length-normalised for cosine scoring.
 */
import { MFCC_COEFFS } from '../stt/mfcc.js';
import { ENVELOPE_BANDS, HOP_SAMPLES, VOICE_SAMPLE_RATE_HZ } from './frame-spectrum.js';
import { BANDS_AT, F0_AT, FRAME_STRIDE, type AnalyzedFrames } from './voice-analyzer.js';

/** Natural log of energy: 7 ≈ 30 dB below the loud frames. */
const SPEECH_RANGE = 7;
const DELTA_WINDOW = 2;
const DELTA_NORM = 10;
/** log F0 is ~0.1-0.3 apart between voices, MFCC means ~1-5: this brings them to a par. */
const F0_WEIGHT = 12;
/** Typical MFCC deviations of speech, subtracted so the deviation groups are centred on zero. */
const MFCC_STD_CENTRE = 4;
const DELTA_STD_CENTRE = 1.2;

export const EMBEDDED_EXTRACTOR = 'llais-mfcc-f0-stats-v1';

export interface VoiceStats {
  /** Mean and standard deviation of natural-log F0 (Hz) over voiced speech. */
  logF0Mean: number;
  logF0Std: number;
  voicedSec: number;
  speechSec: number;
  /** ENVELOPE_BANDS values: mean log band power over voiced speech, mean removed. */
  envelope: number[];
}

export interface VoiceProfile {
  stats: VoiceStats;
  /** Length 1 (cosine = dot product). */
  embedding: number[];
}

/** Frame indices counted as speech. */
export function speechFrames(frames: AnalyzedFrames, from = 0, to = frames.count): number[] {
  const energies: number[] = [];
  for (let i = from; i < to; i++) energies.push(frames.data[i * FRAME_STRIDE + MFCC_COEFFS]!);
  const sorted = [...energies].sort((a, b) => a - b);
  const loud = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  const out: number[] = [];
  for (let i = from; i < to; i++) if (frames.data[i * FRAME_STRIDE + MFCC_COEFFS]! > loud - SPEECH_RANGE) out.push(i);
  return out;
}

export function voiceStats(frames: AnalyzedFrames, speech: number[] = speechFrames(frames)): VoiceStats {
  const { data } = frames;
  const logs: number[] = [];
  const envelope = new Float64Array(ENVELOPE_BANDS);
  for (const i of speech) {
    const f0 = data[i * FRAME_STRIDE + F0_AT]!;
    if (f0 <= 0) continue;
    logs.push(Math.log(f0));
    for (let b = 0; b < ENVELOPE_BANDS; b++) envelope[b] += data[i * FRAME_STRIDE + BANDS_AT + b]!;
  }
  const n = logs.length;
  const mean = n > 0 ? logs.reduce((a, b) => a + b, 0) / n : 0;
  const std = n > 1 ? Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const env = Array.from(envelope, (v) => (n > 0 ? v / n : 0));
  const envMean = env.reduce((a, b) => a + b, 0) / ENVELOPE_BANDS;
  const secPerFrame = HOP_SAMPLES / VOICE_SAMPLE_RATE_HZ;
  return { logF0Mean: mean, logF0Std: std, voicedSec: n * secPerFrame, speechSec: speech.length * secPerFrame, envelope: env.map((v) => round(v - envMean)) };
}

/** The embedded method's embedding of the frames `speech`. */
export function statsEmbedding(frames: AnalyzedFrames, speech: number[], stats: VoiceStats): number[] {
  const { data } = frames;
  const c = (i: number, k: number): number => data[i * FRAME_STRIDE + k]!;
  const dims = MFCC_COEFFS - 1;
  const sum = new Float64Array(dims);
  const sq = new Float64Array(dims);
  const dsq = new Float64Array(dims);
  let dn = 0;
  for (const i of speech) {
    for (let k = 1; k < MFCC_COEFFS; k++) {
      sum[k - 1] += c(i, k);
      sq[k - 1] += c(i, k) ** 2;
    }
    if (i < DELTA_WINDOW || i + DELTA_WINDOW >= frames.count) continue;
    dn++;
    for (let k = 1; k < MFCC_COEFFS; k++) {
      let d = 0;
      for (let t = 1; t <= DELTA_WINDOW; t++) d += t * (c(i + t, k) - c(i - t, k));
      dsq[k - 1] += (d / DELTA_NORM) ** 2;
    }
  }
  const n = Math.max(1, speech.length);
  const v: number[] = [];
  for (let k = 0; k < dims; k++) v.push(sum[k]! / n);
  for (let k = 0; k < dims; k++) v.push(Math.sqrt(Math.max(0, sq[k]! / n - (sum[k]! / n) ** 2)) - MFCC_STD_CENTRE);
  for (let k = 0; k < dims; k++) v.push(Math.sqrt(dsq[k]! / Math.max(1, dn)) - DELTA_STD_CENTRE);
  // log(120 Hz) as the centre: between typical male and female voices.
  v.push(F0_WEIGHT * (stats.logF0Mean > 0 ? stats.logF0Mean - Math.log(160) : 0));
  v.push(F0_WEIGHT * (stats.logF0Std - 0.15));
  return normalize(v);
}

export function voiceProfile(frames: AnalyzedFrames, from = 0, to = frames.count): VoiceProfile {
  const speech = speechFrames(frames, from, to);
  const stats = voiceStats(frames, speech);
  return { stats, embedding: statsEmbedding(frames, speech, stats) };
}

export function normalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0)) || 1;
  return v.map((x) => round(x / norm));
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
