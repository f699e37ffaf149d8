/**
 * The key of a piece from its chroma, by the Krumhansl-Schmuckler method: the chroma is
 * correlated (Pearson) with a major and a minor key profile rotated to each of the 12 tonics, and
 * the best of the 24 wins. Profiles: Krumhansl & Kessler's probe-tone ratings (Krumhansl,
 * "Cognitive Foundations of Musical Pitch", 1990, table 2.1), summed with Temperley's
 * Kostka-Payne corpus profiles ("Music and Probability", 2007, table 6.1) after each is
 * normalised, which helps the relative-key decision.
 */
import type { MusicalKey } from './camelot.js';

const KK_MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const KK_MINOR = [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
const TEMPERLEY_MAJOR = [0.748, 0.06, 0.488, 0.082, 0.67, 0.46, 0.096, 0.715, 0.104, 0.366, 0.057, 0.4];
const TEMPERLEY_MINOR = [0.712, 0.084, 0.474, 0.618, 0.049, 0.46, 0.105, 0.747, 0.404, 0.067, 0.133, 0.33];

/** The 12 values scaled to a maximum of 1. */
function unitMax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  return values.map((v) => v / max);
}

const MAJOR = unitMax(KK_MAJOR).map((v, i) => v + unitMax(TEMPERLEY_MAJOR)[i]!);
const MINOR = unitMax(KK_MINOR).map((v, i) => v + unitMax(TEMPERLEY_MINOR)[i]!);

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < 12; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= 12;
  mb /= 12;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < 12; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/** A key with its correlation to the chroma. */
export interface KeyEstimate extends MusicalKey {
  correlation: number;
}

/** The best-correlated of the 24 keys for a chroma vector (index 0 = C). */
export function estimateKey(chroma: ArrayLike<number>): KeyEstimate {
  let best: KeyEstimate = { tonic: 0, scale: 'Major', correlation: Number.NEGATIVE_INFINITY };
  const rotated = new Float64Array(12);
  for (let tonic = 0; tonic < 12; tonic++) {
    // The chroma seen from `tonic`: rotated[i] is the pitch class i semitones above it.
    for (let i = 0; i < 12; i++) rotated[i] = chroma[(tonic + i) % 12]!;
    for (const [scale, profile] of [['Major', MAJOR], ['Minor', MINOR]] as const) {
      const correlation = pearson(rotated, profile);
      if (correlation > best.correlation) best = { tonic, scale, correlation };
    }
  }
  return best;
}
