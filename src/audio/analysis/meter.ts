/**
 * Time signature from beat accents: the beat grid (the tempo's period, at the phase where the
 * onsets line up best) samples the accent envelope once per beat, and the periodicity of those
 * beat strengths decides. Accents every third beat (a waltz) correlate at a lag of 3 beats and
 * anti-correlate at 2 and 4; anything else, including no accents at all, is 4/4, the default
 * when unsure.
 */

export type TimeSignature = '3/4' | '4/4';

/** Below this correlation at three beats, accents in threes are not clear enough to say 3/4. */
const MIN_TRIPLE_CORRELATION = 0.3;
/** Beat strengths varying by less than this (standard deviation over mean) are unaccented. */
const MIN_ACCENT_SPREAD = 0.15;
/** Fewer beats than this (a few bars) cannot show a pattern. */
const MIN_BEATS = 12;

/** The phase (0 … period) of the beat grid that collects the most onset strength. */
function beatPhase(onsets: Float32Array, periodFrames: number): number {
  let best = { phase: 0, sum: Number.NEGATIVE_INFINITY };
  for (let phase = 0; phase < periodFrames; phase++) {
    let sum = 0;
    for (let t = phase; t < onsets.length; t += periodFrames) sum += onsets[Math.round(t)] ?? 0;
    if (sum > best.sum) best = { phase, sum };
  }
  return best.phase;
}

/** Each beat's strength: the envelope's largest value within ±10 % of a period of the beat. */
function beatStrengths(accents: Float32Array, periodFrames: number, phase: number): number[] {
  const reach = Math.max(1, Math.round(periodFrames * 0.1));
  const out: number[] = [];
  for (let t = phase; t < accents.length; t += periodFrames) {
    const centre = Math.round(t);
    let max = 0;
    for (let i = Math.max(0, centre - reach); i <= Math.min(accents.length - 1, centre + reach); i++) max = Math.max(max, accents[i]!);
    out.push(max);
  }
  return out;
}

/** Normalised autocorrelation of a mean-removed sequence at one lag. */
function correlationAt(values: number[], lag: number): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    den += d * d;
    if (i + lag < values.length) num += d * (values[i + lag]! - mean);
  }
  return den > 0 ? num / den : 0;
}

/**
 * 3/4 or 4/4 from the onset envelope (for the beat phase), the accent envelope (for the beat
 * strengths) and the beat period in envelope frames.
 */
export function estimateTimeSignature(onsets: Float32Array, accents: Float32Array, periodFrames: number): TimeSignature {
  if (!(periodFrames > 0)) return '4/4';
  const strengths = beatStrengths(accents, periodFrames, beatPhase(onsets, periodFrames));
  if (strengths.length < MIN_BEATS) return '4/4';
  const mean = strengths.reduce((a, b) => a + b, 0) / strengths.length;
  const spread = Math.sqrt(strengths.reduce((a, b) => a + (b - mean) ** 2, 0) / strengths.length);
  // Beats of (nearly) equal strength carry no accent pattern, only measurement noise.
  if (!(spread > MIN_ACCENT_SPREAD * mean)) return '4/4';
  const [r2, r3, r4] = [2, 3, 4].map((lag) => correlationAt(strengths, lag)) as [number, number, number];
  return r3 > MIN_TRIPLE_CORRELATION && r3 > r2 && r3 > r4 ? '3/4' : '4/4';
}
