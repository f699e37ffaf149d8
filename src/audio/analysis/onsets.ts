/**
 * Onset-strength envelopes of a mono signal, computed frame by frame (1024-sample frames every
 * 128 samples, ~172 per second at 22.05 kHz): only the envelopes are kept, a few KB per second,
 * never the signal.
 *
 * - `flux`: spectral flux of the log-compressed magnitude spectrum (the sum over bins of each
 *   bin's rise since the last frame), which marks note and drum onsets whatever their loudness;
 *   the beat grid's phase is placed on it.
 * - `accent`: the square root of the rise of the frame's energy (an amplitude), so a louder beat
 *   stands out by how much louder it is, and a broadband hi-hat counts for little beside a kick
 *   or a snare; tempo and meter are read from it.
 */
import { Framer, PowerSpectrum } from './fft.js';

export const ONSET_FRAME_SAMPLES = 1024;
export const ONSET_HOP_SAMPLES = 128;
/** Log compression log(1 + γ|X|): γ = 100 keeps quiet partials' onsets without letting noise dominate. */
const LOG_GAMMA = 100;
/** Bins above ~8 kHz carry mostly noise and cymbal wash, not beats. */
const MAX_FLUX_HZ = 8000;

/** A Float32Array that grows by doubling. */
class GrowingSeries {
  private data = new Float32Array(4096);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  values(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Both envelopes of a signal pushed in pieces. */
export class OnsetEnvelopes {
  /** Envelope frames per second. */
  readonly framesPerSec: number;
  private readonly spectrum = new PowerSpectrum(ONSET_FRAME_SAMPLES);
  private readonly power = new Float32Array(ONSET_FRAME_SAMPLES / 2 + 1);
  private previousLog: Float32Array;
  private currentLog: Float32Array;
  private readonly maxBin: number;
  private previousEnergy = 0;
  private readonly framer: Framer;
  private readonly flux = new GrowingSeries();
  private readonly accent = new GrowingSeries();

  constructor(sampleRateHz: number) {
    this.framesPerSec = sampleRateHz / ONSET_HOP_SAMPLES;
    this.maxBin = Math.min(ONSET_FRAME_SAMPLES / 2, Math.floor((MAX_FLUX_HZ * ONSET_FRAME_SAMPLES) / sampleRateHz));
    this.previousLog = new Float32Array(this.maxBin + 1);
    this.currentLog = new Float32Array(this.maxBin + 1);
    this.framer = new Framer(ONSET_FRAME_SAMPLES, ONSET_HOP_SAMPLES, (frame) => this.addFrame(frame));
  }

  /** Adds samples (floats in [-1, 1]). */
  push(samples: Float32Array): void {
    this.framer.push(samples);
  }

  /** The spectral-flux envelope so far. */
  fluxEnvelope(): Float32Array {
    return this.flux.values();
  }

  /** The accent (energy-rise) envelope so far. */
  accentEnvelope(): Float32Array {
    return this.accent.values();
  }

  private addFrame(frame: Float32Array): void {
    this.spectrum.compute(frame, this.power);
    let rise = 0;
    let energy = 0;
    for (let k = 1; k <= this.maxBin; k++) {
      const p = this.power[k]!;
      energy += p;
      const v = Math.log1p(LOG_GAMMA * Math.sqrt(p));
      this.currentLog[k] = v;
      const d = v - this.previousLog[k]!;
      if (d > 0) rise += d;
    }
    [this.previousLog, this.currentLog] = [this.currentLog, this.previousLog];
    this.flux.push(rise);
    this.accent.push(Math.sqrt(Math.max(0, energy - this.previousEnergy)));
    this.previousEnergy = energy;
  }
}
