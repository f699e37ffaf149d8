/**
 * The embedded voice converter (no model to install): analysis and resynthesis that moves a
 * recording's F0 statistics and spectral envelope toward a target voice's (voice-profile.ts).
 *
 * - F0: each frame's log F0 is mapped to the target's distribution,
 *   log f' = μt + (log f − μs) · σt/σs · range, giving a pitch ratio per frame (unvoiced frames
 *   take the mean ratio), smoothed over 50 ms, times 2^(semitones/12).
 * - Pitch is changed by TD-PSOLA (psola.ts): grains cut at pitch marks and re-spaced, so the
 *   formants stay put and unvoiced sounds are neither pitch-shifted nor resampled.
 * - Envelope: the frequency warp w that best maps the source's long-term envelope onto the
 *   target's is searched (within WARP_MIN-WARP_MAX); each frame's cepstral envelope is then
 *   warped by w (envelope-warp.ts) with its excitation kept.
 * - `speed` stretches time, `gain` scales energy (speech-to-speech's emotions use both and range).
 */
import { analyzePcm, type AnalyzedFrames } from './voice-analyzer.js';
import { warpEnvelope } from './envelope-warp.js';
import { F0_AT, FRAME_STRIDE } from './voice-analyzer.js';
import { HOP_SAMPLES, FRAME_SAMPLES, VOICE_SAMPLE_RATE_HZ } from './frame-spectrum.js';
import { voiceStats, speechFrames, type VoiceStats } from './voice-profile.js';
import { pitchMarks, psola } from './psola.js';

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
const VOICING_REACH = 2;
/**
 * Adult voices' formants differ by a scale of at most ~1.18 (Fant 1966: women's F1-F3 average
 * 17 % above men's). A best fit beyond that is the two voices' spectral tilt, not their tract
 * length, and warping that far pushes vowels into their neighbours' places (PocketSphinx's WER
 * on three Harvard sentences of flite-rms converted to flite-slt: source 20 %; w = 0.81, the
 * unbounded fit: 31 %; w = 0.85: 26 %).
 */
const WARP_MIN = 0.85;
const WARP_MAX = 1 / WARP_MIN;
/** Bands (125 Hz each) compared for the warp: 250 Hz to 4 kHz, where F1-F3 are (and what survives lowering the pitch). */
const WARP_BANDS: [number, number] = [2, 32];

export function convertVoice(input: Int16Array, spec: ConvertSpec, frames: AnalyzedFrames = analyzePcm(input)): Converted {
  const source = voiceStats(frames, speechFrames(frames));
  const ratios = pitchRatios(frames, source, spec);
  const warp = spec.target ? envelopeWarp(source.envelope, spec.target.envelope) : 1;
  const speed = spec.speed ?? 1;
  const frameAt = (pos: number): number => Math.max(0, Math.min(frames.count - 1, Math.round((pos - FRAME_SAMPLES / 2) / HOP_SAMPLES)));
  const x = Float32Array.from(input);
  const marks = pitchMarks(x, (pos) => {
    const f0 = voicedF0Near(frames, frameAt(pos));
    return f0 > 0 ? VOICE_SAMPLE_RATE_HZ / f0 : 0;
  });
  const shifted = psola(x, marks, (pos) => ratios[frameAt(pos)] ?? 1, speed);
  // PSOLA keeps the formants: the envelope moves by the voices' warp alone.
  const warped = warpEnvelope(shifted, () => warp, 10 ** ((spec.gainDb ?? 0) / 20));
  const pcm = new Int16Array(warped.length);
  for (let i = 0; i < warped.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(warped[i]!)));
  const mean = ratios.length > 0 ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : 1;
  return { pcm, source, warp, pitchRatio: mean };
}

/**
 * The frame's F0, or that of a voiced frame within VOICING_REACH frames: the tracker calls the
 * weak periods at a voiced stretch's edges (and short dips inside it) unvoiced, and left unshifted
 * they pull the heard pitch back toward the source's (+4 semitones measured +3.1).
 */
function voicedF0Near(frames: AnalyzedFrames, i: number): number {
  for (let d = 0; d <= VOICING_REACH; d++) {
    for (const j of d === 0 ? [i] : [i - d, i + d]) {
      if (j < 0 || j >= frames.count) continue;
      const f0 = frames.data[j * FRAME_STRIDE + F0_AT]!;
      if (f0 > 0) return f0;
    }
  }
  return 0;
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
 * The w in [WARP_MIN, WARP_MAX] for which the source envelope read at f·w best matches the target's
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
