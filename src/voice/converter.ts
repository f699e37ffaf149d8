/**
 * The embedded voice converter (no model to install): analysis and resynthesis that moves a
 * recording's F0 statistics and spectral envelope toward a target voice's (voice-profile.ts).
 *
 * - F0: each frame's log F0 is mapped to the target's distribution,
 *   log f' = μt + (log f − μs) · σt/σs · range, giving a pitch ratio per frame (unvoiced frames
 *   take the mean ratio), smoothed over 50 ms, times 2^(semitones/12).
 * - Pitch is changed without changing duration by WSOLA-stretching by the ratio (wsola.ts) and
 *   resampling back (cubic interpolation): harmonics and formants both scale by the ratio.
 * - Envelope: the frequency warp w that best maps the source's long-term envelope onto the
 *   target's is searched (0.8-1.25); each frame's envelope is then warped by w·ratio
 *   (envelope-warp.ts), which undoes the resampling's formant shift and applies the voice's.
 * - `speed` stretches time, `gain` scales energy (speech-to-speech's emotions use both and range).
 */
import { analyzePcm, type AnalyzedFrames } from './voice-analyzer.js';
import { warpEnvelope } from './envelope-warp.js';
import { F0_AT, FRAME_STRIDE } from './voice-analyzer.js';
import { HOP_SAMPLES, FRAME_SAMPLES } from './frame-spectrum.js';
import { voiceStats, speechFrames, type VoiceStats } from './voice-profile.js';
import { inputPosition, wsolaStretch } from './wsola.js';

export interface ConvertSpec {
  /** The voice to move toward; absent: keep the speaker (prosody changes only). */
  target?: Pick<VoiceStats, 'logF0Mean' | 'logF0Std' | 'envelope'>;
  pitchShiftSemitones?: number;
  /** Multiplies the F0 deviation from the mean (1 = the target's own range). */
  pitchRange?: number;
  /** Playback rate: 2 = twice as fast. */
  speed?: number;
  gainDb?: number;
}

export interface Converted {
  pcm: Int16Array;
  source: VoiceStats;
  /** The frequency warp applied for the envelope (1 = none). */
  warp: number;
  /** The mean pitch ratio applied. */
  pitchRatio: number;
}

const SMOOTH_FRAMES = 5;
const WARP_MIN = 0.8;
const WARP_MAX = 1.25;
/** Bands (125 Hz each) compared for the warp: 250 Hz to 4 kHz, where F1-F3 are (and what survives lowering the pitch). */
const WARP_BANDS: [number, number] = [2, 32];

export function convertVoice(input: Int16Array, spec: ConvertSpec, frames: AnalyzedFrames = analyzePcm(input)): Converted {
  const source = voiceStats(frames, speechFrames(frames));
  const ratios = pitchRatios(frames, source, spec);
  const warp = spec.target ? envelopeWarp(source.envelope, spec.target.envelope) : 1;
  const speed = spec.speed ?? 1;
  const ratioAt = (pos: number): number => {
    const i = Math.round((pos - FRAME_SAMPLES / 2) / HOP_SAMPLES);
    return ratios[Math.max(0, Math.min(ratios.length - 1, i))] ?? 1;
  };
  const x = Float32Array.from(input);
  const stretched = wsolaStretch(x, (pos) => ratioAt(pos) / speed);
  // Resample: read the stretched signal `ratio` samples per output sample.
  const y = stretched.pcm;
  const out: number[] = [];
  const sourceAt: number[] = [];
  for (let p = 1; p < y.length - 2; ) {
    const inPos = inputPosition(stretched, p);
    out.push(cubic(y, p));
    sourceAt.push(inPos);
    p += ratioAt(inPos);
  }
  const resampled = Float32Array.from(out);
  const warped = warpEnvelope(resampled, (i) => {
    const pos = sourceAt[Math.max(0, Math.min(sourceAt.length - 1, i))] ?? 0;
    return Math.max(0.5, Math.min(2, warp * ratioAt(pos)));
  }, 10 ** ((spec.gainDb ?? 0) / 20));
  const pcm = new Int16Array(warped.length);
  for (let i = 0; i < warped.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(warped[i]!)));
  const mean = ratios.length > 0 ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : 1;
  return { pcm, source, warp, pitchRatio: mean };
}

/** The pitch ratio wanted at each analysis frame. */
function pitchRatios(frames: AnalyzedFrames, source: VoiceStats, spec: ConvertSpec): number[] {
  const shift = 2 ** ((spec.pitchShiftSemitones ?? 0) / 12);
  const range = spec.pitchRange ?? 1;
  const target = spec.target ?? { logF0Mean: source.logF0Mean, logF0Std: source.logF0Std };
  const haveF0 = source.logF0Mean > 0 && target.logF0Mean > 0;
  const scale = source.logF0Std > 1e-3 ? (target.logF0Std / source.logF0Std) * range : range;
  const meanRatio = haveF0 ? Math.exp(target.logF0Mean - source.logF0Mean) : 1;
  const raw: number[] = [];
  for (let i = 0; i < frames.count; i++) {
    const f0 = frames.data[i * FRAME_STRIDE + F0_AT]!;
    if (!haveF0 || f0 <= 0) {
      raw.push(Math.log(meanRatio));
      continue;
    }
    const mapped = target.logF0Mean + (Math.log(f0) - source.logF0Mean) * scale;
    raw.push(Math.max(Math.log(0.5), Math.min(Math.log(2), mapped - Math.log(f0))));
  }
  const half = Math.floor(SMOOTH_FRAMES / 2);
  return raw.map((_, i) => {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(raw.length - 1, i + half); j++, n++) s += raw[j]!;
    return Math.exp(s / n) * shift;
  });
}

/**
 * The w in [0.8, 1.25] for which the source envelope read at f·w best matches the target's
 * (correlation over WARP_BANDS): the ratio of the two voices' formant frequencies.
 */
export function envelopeWarp(source: readonly number[], target: readonly number[]): number {
  let best = 1;
  let bestScore = -Infinity;
  for (let w = WARP_MIN; w <= WARP_MAX + 1e-9; w += 0.01) {
    const a: number[] = [];
    const b: number[] = [];
    for (let band = WARP_BANDS[0]; band < WARP_BANDS[1]; band++) {
      a.push(interpolate(source, band * w));
      b.push(target[band]!);
    }
    const score = correlation(a, b);
    if (score > bestScore) {
      bestScore = score;
      best = w;
    }
  }
  return Math.round(best * 100) / 100;
}

function interpolate(v: readonly number[], at: number): number {
  const i = Math.min(v.length - 1, Math.floor(at));
  const f = at - i;
  return i + 1 < v.length ? v[i]! + (v[i + 1]! - v[i]!) * f : v[i]!;
}

function correlation(a: number[], b: number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/** Catmull-Rom interpolation of `y` at fractional position p (1 ≤ p < length − 2). */
function cubic(y: Float32Array, p: number): number {
  const i = Math.floor(p);
  const t = p - i;
  const a = y[i - 1]!;
  const b = y[i]!;
  const c = y[i + 1]!;
  const d = y[i + 2]!;
  return b + 0.5 * t * (c - a + t * (2 * a - 5 * b + 4 * c - d + t * (3 * (b - c) + d - a)));
}
