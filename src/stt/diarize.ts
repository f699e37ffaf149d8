/**
 * Who spoke when: a speaker label for each transcript segment, from the audio alone.
 *
 * Each segment becomes a vector of MFCC statistics over its speech frames; the vectors are
 * clustered by speaker-clusters.ts (average linkage, silhouette-chosen speaker count). An
 * installed neural speaker model replaces these vectors (segment-embeddings.ts). Tuned on
 * synthetic voices only (flite, eSpeak): expect it to tell apart clearly different voices, not
 * two similar ones on a noisy phone line.
 *
 * Built for streams: `SpeakerFeatures` computes MFCC frames as PCM chunks pass, turns a segment's
 * frames into its vector as soon as the segment is known, and drops frames no later segment can
 * need, so memory follows the open stretch of audio (and the segment count), not the file's length.
 */
import { MFCC_COEFFS, MFCC_FRAMES_PER_SEC, MfccExtractor } from './mfcc.js';
import { speakerLabels, type SpeakerVector } from './speaker-clusters.js';

export { speakerLabel, speakerLabels, type SpeakerVector } from './speaker-clusters.js';

export interface DiarizeOptions {
  /** Most speakers to tell apart (default 8). */
  maxSpeakers?: number;
}

export interface TimeSpan {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
}

export const DEFAULT_MAX_SPEAKERS = 8;
/** What labelled the speakers, when no neural speaker model did (`X-Llais-Diarizer`). */
export const MFCC_DIARIZER = 'llais-mfcc-stats-v1';
const DEFAULT_SAMPLE_RATE_HZ = 16_000;

/** Stored per frame: the 13 coefficients, then the frame's log energy. */
const FRAME_STRIDE = MFCC_COEFFS + 1;
/**
 * Frames within this much (natural log of energy, 7 ≈ 30 dB) of a segment's loudest frame count as
 * its speech; quieter ones are pauses and breaths, which every speaker shares.
 */
const SPEECH_RANGE_LOG_ENERGY = 7;
/** Delta coefficients: the regression over ±2 frames (HTK's default window), divided by 2·Σk². */
const DELTA_WINDOW = 2;
const DELTA_NORM = 10;
/** Fewer speech frames (0.2 s) than this say nothing about a voice: the segment takes the previous segment's label. */
const MIN_FRAMES_TO_COMPARE = 20;

/**
 * Speaker vector of one segment, 38 numbers:
 * - mean of c1..c12 over speech frames: the voice's average spectral envelope (vocal tract);
 *   c0's mean is left out, being loudness, which varies with the microphone, not the speaker;
 * - standard deviation of c0..c12: how much the envelope moves (articulation, dynamics);
 * - standard deviation of the deltas of c0..c12: how fast it moves. (Delta means are ~0 for
 *   everyone.)
 */
const VECTOR_LENGTH = MFCC_COEFFS - 1 + 2 * MFCC_COEFFS;

/** Room for 30 s of frames (168 KB) before the store grows: a recognizer utterance's worth. */
const INITIAL_FRAMES_SEC = 30;

/**
 * Streams audio into per-segment speaker vectors. Call `push` with the PCM in order and
 * `addSegment` with segments in time order once their audio has been pushed; then `labels`.
 */
export class SpeakerFeatures {
  private readonly mfcc: MfccExtractor;
  /** Frames `firstFrame .. firstFrame + frameCount - 1` of the stream, FRAME_STRIDE floats each. */
  private frames = new Float32Array(FRAME_STRIDE * MFCC_FRAMES_PER_SEC * INITIAL_FRAMES_SEC);
  private firstFrame = 0;
  private frameCount = 0;
  /** Each added segment's vector, in order (null: too little speech in it). */
  readonly vectors: SpeakerVector[] = [];

  constructor(sampleRateHz = DEFAULT_SAMPLE_RATE_HZ) {
    this.mfcc = new MfccExtractor(sampleRateHz);
  }

  /** Seconds of audio pushed so far that are covered by whole frames. */
  get framedSec(): number {
    return (this.firstFrame + this.frameCount) / MFCC_FRAMES_PER_SEC;
  }

  push(pcm: Int16Array): void {
    this.mfcc.push(pcm, (coeffs, logEnergy) => {
      if ((this.frameCount + 1) * FRAME_STRIDE > this.frames.length) {
        const grown = new Float32Array(this.frames.length * 2);
        grown.set(this.frames.subarray(0, this.frameCount * FRAME_STRIDE));
        this.frames = grown;
      }
      const at = this.frameCount * FRAME_STRIDE;
      this.frames.set(coeffs, at);
      this.frames[at + MFCC_COEFFS] = logEnergy;
      this.frameCount++;
    });
  }

  /** Adds the next segment (not earlier than the previous one): its vector is computed now. */
  addSegment(span: TimeSpan): void {
    const from = Math.max(this.firstFrame, Math.round(span.start * MFCC_FRAMES_PER_SEC));
    const to = Math.min(this.firstFrame + this.frameCount, Math.round(span.end * MFCC_FRAMES_PER_SEC));
    this.vectors.push(to - from >= MIN_FRAMES_TO_COMPARE ? this.segmentVector(from - this.firstFrame, to - this.firstFrame) : null);
  }

  /** Forgets the frames before `sec`: no segment added later starts before it. */
  discardBefore(sec: number): void {
    const drop = Math.min(this.frameCount, Math.floor(sec * MFCC_FRAMES_PER_SEC) - this.firstFrame);
    if (drop <= 0) return;
    this.frames.copyWithin(0, drop * FRAME_STRIDE, this.frameCount * FRAME_STRIDE);
    this.firstFrame += drop;
    this.frameCount -= drop;
  }

  /** A label per segment added, in order: `SPEAKER_00` for the first segment's speaker, then `SPEAKER_01`, and so on (API.md's form). */
  labels(opts: DiarizeOptions = {}): string[] {
    const maxSpeakers = Math.max(1, Math.floor(opts.maxSpeakers ?? DEFAULT_MAX_SPEAKERS));
    return speakerLabels(this.vectors, maxSpeakers);
  }

  /** The speaker vector of stored frames [from, to), or null if too few of them are speech. */
  private segmentVector(from: number, to: number): { vector: Float64Array; speechFrames: number } | null {
    const f = this.frames;
    const coeff = (frame: number, c: number): number => f[frame * FRAME_STRIDE + c]!;
    let loudest = Number.NEGATIVE_INFINITY;
    for (let t = from; t < to; t++) loudest = Math.max(loudest, coeff(t, MFCC_COEFFS));
    const sum = new Float64Array(3 * MFCC_COEFFS);
    const sumSq = new Float64Array(3 * MFCC_COEFFS);
    let n = 0;
    for (let t = from; t < to; t++) {
      if (coeff(t, MFCC_COEFFS) < loudest - SPEECH_RANGE_LOG_ENERGY) continue;
      n++;
      for (let c = 0; c < MFCC_COEFFS; c++) {
        let delta = 0;
        for (let k = 1; k <= DELTA_WINDOW; k++) delta += k * (coeff(Math.min(to - 1, t + k), c) - coeff(Math.max(from, t - k), c));
        delta /= DELTA_NORM;
        const x = coeff(t, c);
        sum[c] += x;
        sumSq[c] += x * x;
        sum[MFCC_COEFFS + c] += delta;
        sumSq[MFCC_COEFFS + c] += delta * delta;
      }
    }
    if (n < MIN_FRAMES_TO_COMPARE) return null;
    const std = (i: number): number => Math.sqrt(Math.max(0, sumSq[i]! / n - (sum[i]! / n) ** 2));
    const vector = new Float64Array(VECTOR_LENGTH);
    let v = 0;
    for (let c = 1; c < MFCC_COEFFS; c++) vector[v++] = sum[c]! / n;
    for (let c = 0; c < MFCC_COEFFS; c++) vector[v++] = std(c);
    for (let c = 0; c < MFCC_COEFFS; c++) vector[v++] = std(MFCC_COEFFS + c);
    return { vector, speechFrames: n };
  }
}

/**
 * A speaker label per segment of `pcm` (mono s16 at `sampleRateHz`, default 16 kHz), given whole
 * or as chunks in order. Chunks are consumed as they come and frames freed as segments complete,
 * so a long recording need not be in memory at once.
 */
export function diarize(
  pcm: Int16Array | Iterable<Int16Array>,
  segments: readonly TimeSpan[],
  opts: DiarizeOptions & { sampleRateHz?: number } = {},
): string[] {
  const features = new SpeakerFeatures(opts.sampleRateHz);
  let next = 0;
  const addReady = (final: boolean): void => {
    while (next < segments.length && (final || segments[next]!.end <= features.framedSec)) features.addSegment(segments[next++]!);
    if (next < segments.length) features.discardBefore(segments[next]!.start);
  };
  for (const chunk of pcm instanceof Int16Array ? [pcm] : pcm) {
    features.push(chunk);
    addReady(false);
  }
  addReady(true);
  return features.labels(opts);
}
