/**
 * Quality of a streaming resampler, measured against analytic signals rather than against any
 * resampler's own output: bench/resample.ts prints these figures for the old and the new
 * implementation, and test/audio-resample.test.ts asserts them for the one in src/audio/.
 *
 * Every measurement relies on output time m / toHz being input time m / fromHz (a centred
 * filter), so the ideal output is the input signal's formula evaluated at the output rate.
 */
import { concatPcm } from '../../src/audio/pcm.js';

/** The streaming API under test (src/audio/resample.ts's StreamResampler and the baseline). */
export interface PcmResampler {
  process(pcm: Int16Array): Int16Array;
  flush(): Int16Array;
}

export type MakeResampler = (fromHz: number, toHz: number) => PcmResampler;

export interface ResampleQuality {
  /** Worst gain error of a sine, in dB, from 100 Hz to 0.9 of the lower Nyquist frequency. */
  rippleDb: number;
  /**
   * A linear sweep 100 Hz -> input Nyquist, while it is below 0.9 of the lower Nyquist: output
   * minus the ideal sweep, relative to the sweep (images, ripple and phase error together), dB.
   */
  sweepErrorDb: number;
  /**
   * Downsampling only (NaN otherwise): the output's power while the sweep is above 1.05 of the
   * output Nyquist (all of it aliases), relative to the sweep's power, dB.
   */
  aliasingDb: number;
  /** A 1 kHz sine against the ideal sine at the output rate, dB. */
  sine1kSnrDb: number;
  /** Output length minus round(input * toHz / fromHz), for a whole stream. */
  lengthError: number;
  /** Whether feeding the sweep in irregular chunks gave exactly the one-shot output. */
  chunkedEqualsOneShot: boolean;
}

const AMPLITUDE = 16_000;
const SWEEP_SECONDS = 2;
const SWEEP_START_HZ = 100;
/** Output near the ends is left out: the signal starts and stops abruptly there. */
const EDGE_SECONDS = 0.05;
const PASSBAND_EDGE = 0.9;
const STOPBAND_EDGE = 1.05;
const RIPPLE_POINTS = 24;

/** `fn(t)` at `count` samples of `rateHz`, rounded to s16. */
function render(count: number, rateHz: number, fn: (t: number) => number): Int16Array {
  const pcm = new Int16Array(count);
  for (let i = 0; i < count; i++) pcm[i] = Math.round(fn(i / rateHz));
  return pcm;
}

/** Resamples `pcm` in one process() call plus flush(). */
export function resampleWhole(make: MakeResampler, fromHz: number, toHz: number, pcm: Int16Array): Int16Array {
  const resampler = make(fromHz, toHz);
  return concatPcm([resampler.process(pcm), resampler.flush()]);
}

/** Resamples `pcm` in seeded pseudo-random chunks of 0 to 2000 samples, so failures repeat. */
export function resampleChunked(make: MakeResampler, fromHz: number, toHz: number, pcm: Int16Array, seed: number): Int16Array {
  const resampler = make(fromHz, toHz);
  const parts: Int16Array[] = [];
  let state = seed;
  for (let offset = 0; offset < pcm.length; ) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const size = state % 2001;
    parts.push(resampler.process(pcm.subarray(offset, offset + size)));
    offset += size;
  }
  parts.push(resampler.flush());
  return concatPcm(parts);
}

/** Amplitude of the `frequencyHz` component of `pcm` (least-squares sine and cosine fit). */
function amplitudeAt(pcm: Int16Array, rateHz: number, frequencyHz: number, from: number, to: number): number {
  let ss = 0;
  let cc = 0;
  let ys = 0;
  let yc = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * frequencyHz * i) / rateHz;
    const s = Math.sin(w);
    const c = Math.cos(w);
    ss += s * s;
    cc += c * c;
    ys += pcm[i] * s;
    yc += pcm[i] * c;
  }
  return Math.hypot(ys / ss, yc / cc);
}

function db(ratio: number): number {
  return 10 * Math.log10(ratio);
}

/** Measures `make`'s resampler from `fromHz` to `toHz` (see ResampleQuality). */
export function measureQuality(make: MakeResampler, fromHz: number, toHz: number): ResampleQuality {
  const lowNyquistHz = Math.min(fromHz, toHz) / 2;
  const passbandHz = PASSBAND_EDGE * lowNyquistHz;

  let rippleDb = 0;
  for (let p = 0; p < RIPPLE_POINTS; p++) {
    const hz = SWEEP_START_HZ + ((passbandHz - SWEEP_START_HZ) * p) / (RIPPLE_POINTS - 1);
    const out = resampleWhole(make, fromHz, toHz, render(fromHz / 2, fromHz, (t) => AMPLITUDE * Math.sin(2 * Math.PI * hz * t)));
    const gain = amplitudeAt(out, toHz, hz, Math.floor(out.length * 0.2), Math.floor(out.length * 0.8)) / AMPLITUDE;
    rippleDb = Math.max(rippleDb, Math.abs(20 * Math.log10(gain)));
  }

  const sweepRate = (fromHz / 2 - SWEEP_START_HZ) / SWEEP_SECONDS;
  const sweepAt = (t: number): number => AMPLITUDE * Math.sin(2 * Math.PI * (SWEEP_START_HZ * t + (sweepRate / 2) * t * t));
  const sweepHzAt = (t: number): number => SWEEP_START_HZ + sweepRate * t;
  const sweep = render(fromHz * SWEEP_SECONDS, fromHz, sweepAt);
  const out = resampleWhole(make, fromHz, toHz, sweep);
  let error = 0;
  let reference = 0;
  let aliased = 0;
  let aliasedCount = 0;
  for (let m = 0; m < out.length; m++) {
    const t = m / toHz;
    if (t < EDGE_SECONDS || t > SWEEP_SECONDS - EDGE_SECONDS) continue;
    const hz = sweepHzAt(t);
    if (hz <= passbandHz) {
      const ideal = sweepAt(t);
      error += (out[m] - ideal) ** 2;
      reference += ideal ** 2;
    } else if (toHz < fromHz && hz >= STOPBAND_EDGE * lowNyquistHz) {
      aliased += out[m] ** 2;
      aliasedCount++;
    }
  }
  const aliasingDb = toHz < fromHz ? db(aliased / aliasedCount / (AMPLITUDE ** 2 / 2)) : Number.NaN;

  const sine = (t: number): number => AMPLITUDE * Math.sin(2 * Math.PI * 1000 * t);
  const tone = resampleWhole(make, fromHz, toHz, render(fromHz, fromHz, sine));
  let toneError = 0;
  let toneReference = 0;
  for (let m = Math.floor(tone.length * 0.1); m < tone.length * 0.9; m++) {
    const ideal = sine(m / toHz);
    toneError += (tone[m] - ideal) ** 2;
    toneReference += ideal ** 2;
  }

  const chunked = resampleChunked(make, fromHz, toHz, sweep, 7);
  return {
    rippleDb,
    sweepErrorDb: db(error / reference),
    aliasingDb,
    sine1kSnrDb: db(toneReference / toneError),
    lengthError: out.length - Math.round((sweep.length * toHz) / fromHz),
    chunkedEqualsOneShot: chunked.length === out.length && chunked.every((s, i) => s === out[i]),
  };
}
