/**
 * The pitch-class profile of a whole piece, built frame by frame: STFT-folded chroma. Each bin of
 * a long (8192-sample, 2.7 Hz at 22.05 kHz) frame's magnitude spectrum goes to its nearest
 * semitone's pitch class, weighted down the further it lies from that semitone's centre, so
 * that the leakage between two notes counts for neither. Frames are normalised before they are
 * summed, so a loud passage does not outvote the rest; near-silent frames are skipped.
 */
import { Framer, PowerSpectrum } from './fft.js';

/** Long frames: a semitone at the bottom of the range (~4 Hz at 70 Hz) spans more than one bin. */
export const CHROMA_FRAME_SAMPLES = 8192;
const CHROMA_HOP_SAMPLES = 4096;
/** Below, bass notes are too close to resolve; above, mostly noise and high harmonics. */
const MIN_HZ = 60;
const MAX_HZ = 5000;
/** Frames whose mean power is this far below full scale (-70 dBFS) are silence. */
const SILENT_FRAME_POWER = 1e-7;

/** Accumulates the chroma of a mono signal pushed in pieces. */
export class ChromaAccumulator {
  private readonly spectrum: PowerSpectrum;
  private readonly power: Float32Array;
  private readonly framer: Framer;
  /** Per bin: its pitch class (-1 outside the range) and its weight. */
  private readonly binClass: Int8Array;
  private readonly binWeight: Float32Array;
  private readonly frameChroma = new Float64Array(12);
  private readonly total = new Float64Array(12);
  private frames = 0;

  constructor(sampleRateHz: number) {
    this.spectrum = new PowerSpectrum(CHROMA_FRAME_SAMPLES);
    const bins = CHROMA_FRAME_SAMPLES / 2 + 1;
    this.power = new Float32Array(bins);
    this.binClass = new Int8Array(bins).fill(-1);
    this.binWeight = new Float32Array(bins);
    for (let k = 1; k < bins; k++) {
      const hz = (k * sampleRateHz) / CHROMA_FRAME_SAMPLES;
      if (hz < MIN_HZ || hz > MAX_HZ) continue;
      const midi = 69 + 12 * Math.log2(hz / 440);
      const nearest = Math.round(midi);
      // cos² of the distance to the semitone's centre: 1 on it, 0 halfway to the next.
      this.binClass[k] = ((nearest % 12) + 12) % 12;
      this.binWeight[k] = Math.cos(Math.PI * (midi - nearest)) ** 2;
    }
    this.framer = new Framer(CHROMA_FRAME_SAMPLES, CHROMA_HOP_SAMPLES, (frame) => this.addFrame(frame));
  }

  /** Adds samples (floats in [-1, 1]). */
  push(samples: Float32Array): void {
    this.framer.push(samples);
  }

  /** The summed, normalised chroma (C first); all zeros when nothing but silence came. */
  result(): Float64Array {
    const out = new Float64Array(this.total);
    const max = Math.max(...out);
    if (max > 0) for (let i = 0; i < 12; i++) out[i]! /= max;
    return out;
  }

  /** Frames that counted (not silent). */
  get framesCounted(): number {
    return this.frames;
  }

  private addFrame(frame: Float32Array): void {
    this.spectrum.compute(frame, this.power);
    const { power, binClass, binWeight, frameChroma } = this;
    let energy = 0;
    for (let i = 0; i < frame.length; i++) energy += frame[i]! * frame[i]!;
    if (energy / frame.length < SILENT_FRAME_POWER) return;
    frameChroma.fill(0);
    for (let k = 0; k < power.length; k++) {
      const pc = binClass[k]!;
      if (pc >= 0) frameChroma[pc]! += binWeight[k]! * Math.sqrt(power[k]!);
    }
    const max = Math.max(...frameChroma);
    if (!(max > 0)) return;
    for (let i = 0; i < 12; i++) this.total[i]! += frameChroma[i]! / max;
    this.frames++;
  }
}
