/**
 * Tempo from an onset-strength envelope: its autocorrelation, scored for each candidate tempo in
 * 60–200 BPM by a comb over the candidate's beat period (the first four multiples), minus the
 * autocorrelation halfway (or a third of the way) between them. The subtraction handles octave
 * errors: half or a third of the true tempo hits every true beat's lag too, but also the strong
 * lags between its own, and double the tempo hits lags where nothing happens. The winner's period is then refined from the
 * autocorrelation peak at four periods (parabolic interpolation), four times as precise as one.
 */

export const MIN_BPM = 60;
export const MAX_BPM = 200;
/** Comb teeth per candidate. */
const COMB_MULTIPLES = 4;
/** Weight of the in-between lags' autocorrelation against the comb's. */
const OFFBEAT_PENALTY = 0.8;
/** The moving average removed from the envelope before correlating: ~1 s. */
const DETREND_SEC = 1;
/** Candidate grid step (BPM); the refinement takes the estimate off the grid. */
const BPM_STEP = 0.5;

/**
 * How likely a tempo is before listening: a log-normal bump around 120 BPM, one octave wide (as
 * librosa's `beat.tempo` weights its autocorrelation), so that when a pattern fits a tempo and
 * its half about equally well (kick drums on 1 and 3), the one nearer the usual range wins.
 */
const PRIOR_CENTRE_BPM = 120;
const PRIOR_OCTAVES = 1;
function tempoPrior(bpm: number): number {
  return Math.exp(-0.5 * (Math.log2(bpm / PRIOR_CENTRE_BPM) / PRIOR_OCTAVES) ** 2);
}

/** The envelope minus its moving average, negative parts cut (what rises above the local level). */
function detrend(envelope: Float32Array, framesPerSec: number): Float32Array {
  const half = Math.max(1, Math.round((DETREND_SEC * framesPerSec) / 2));
  const out = new Float32Array(envelope.length);
  let sum = 0;
  let lo = 0;
  let hi = 0;
  for (let t = 0; t < envelope.length; t++) {
    while (hi < envelope.length && hi <= t + half) sum += envelope[hi++]!;
    while (lo < t - half) sum -= envelope[lo++]!;
    out[t] = Math.max(0, envelope[t]! - sum / (hi - lo));
  }
  return out;
}

/** Unbiased autocorrelation for lags 0 … maxLag, normalised so that lag 0 is 1. */
export function autocorrelation(x: Float32Array, maxLag: number): Float64Array {
  const acf = new Float64Array(maxLag + 1);
  for (let lag = 0; lag <= maxLag && lag < x.length; lag++) {
    let sum = 0;
    for (let t = 0; t + lag < x.length; t++) sum += x[t]! * x[t + lag]!;
    acf[lag] = sum / (x.length - lag);
  }
  const zero = acf[0]!;
  if (zero > 0) for (let lag = 0; lag <= maxLag; lag++) acf[lag]! /= zero;
  return acf;
}

/** The largest autocorrelation within ±tolerance of a fractional lag (0 past the end). */
function peakNear(acf: Float64Array, lag: number): number {
  const tolerance = Math.max(1, lag * 0.01);
  let best = 0;
  for (let l = Math.max(1, Math.floor(lag - tolerance)); l <= Math.ceil(lag + tolerance) && l < acf.length; l++) best = Math.max(best, acf[l]!);
  return best;
}

/** The lag of the peak nearest `lag`, refined by a parabola through it and its neighbours. */
function refinedPeak(acf: Float64Array, lag: number): number {
  const tolerance = Math.max(2, Math.ceil(lag * 0.03));
  let best = Math.round(lag);
  for (let l = Math.max(1, Math.floor(lag - tolerance)); l <= Math.ceil(lag + tolerance) && l < acf.length - 1; l++) {
    if (acf[l]! > acf[best]!) best = l;
  }
  if (best <= 0 || best >= acf.length - 1) return best;
  const [a, b, c] = [acf[best - 1]!, acf[best]!, acf[best + 1]!];
  const denom = a - 2 * b + c;
  return denom < 0 ? best + (0.5 * (a - c)) / denom : best;
}

/** A tempo and how clearly the envelope shows it (the winning comb score). */
export interface TempoEstimate {
  bpm: number;
  /** The beat period in envelope frames. */
  periodFrames: number;
  strength: number;
}

/** The tempo of an onset envelope sampled at `framesPerSec`; 120 BPM with strength 0 when it shows none. */
export function estimateTempo(envelope: Float32Array, framesPerSec: number): TempoEstimate {
  const x = detrend(envelope, framesPerSec);
  const maxPeriod = (60 * framesPerSec) / MIN_BPM;
  const maxLag = Math.min(x.length - 1, Math.ceil(maxPeriod * COMB_MULTIPLES + maxPeriod));
  const fallback = { bpm: 120, periodFrames: (60 * framesPerSec) / 120, strength: 0 };
  if (maxLag < maxPeriod) return fallback;
  const acf = autocorrelation(x, maxLag);
  let best = { bpm: 0, score: Number.NEGATIVE_INFINITY };
  for (let bpm = MIN_BPM; bpm <= MAX_BPM; bpm += BPM_STEP) {
    const period = (60 * framesPerSec) / bpm;
    let comb = 0;
    let halves = 0;
    let thirds = 0;
    for (let k = 1; k <= COMB_MULTIPLES; k++) {
      comb += peakNear(acf, k * period);
      halves += peakNear(acf, (k - 0.5) * period);
      thirds += (peakNear(acf, (k - 2 / 3) * period) + peakNear(acf, (k - 1 / 3) * period)) / 2;
    }
    const score = ((comb - OFFBEAT_PENALTY * Math.max(halves, thirds)) / COMB_MULTIPLES) * tempoPrior(bpm);
    if (score > best.score) best = { bpm, score };
  }
  if (!(best.score > 0)) return fallback;
  const coarse = (60 * framesPerSec) / best.bpm;
  // The furthest comb tooth the envelope covers gives the finest period.
  let multiple = COMB_MULTIPLES;
  while (multiple > 1 && multiple * coarse >= acf.length - 2) multiple--;
  const periodFrames = refinedPeak(acf, multiple * coarse) / multiple;
  return { bpm: (60 * framesPerSec) / periodFrames, periodFrames, strength: best.score };
}
