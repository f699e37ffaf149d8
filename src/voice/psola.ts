/**
 * Pitch and time modification by TD-PSOLA (Moulines & Charpentier 1990): two-period Hann grains
 * cut around pitch marks and overlap-added at a new spacing. The grain keeps the vocal tract's
 * response to one glottal pulse, so the formants stay where they were whatever the new pitch, and
 * nothing is resampled: raising the pitch folds no high band down (the WSOLA-plus-resampling
 * shifter this replaces aliased 4.5-8 kHz frication into the speech band and shifted every
 * formant by the pitch ratio, which the envelope warp then had to undo: PocketSphinx's WER of a
 * male voice raised to a female pitch went 20 % -> 51 %). Unvoiced stretches get marks
 * every 10 ms and are put back at the same spacing: noise is never pitch-shifted.
 */

/** Pseudo-period of unvoiced stretches: a Hann of twice it at this hop sums to one. */
const UNVOICED_PERIOD = 160;

export interface PitchMark {
  pos: number;
  /** Samples; UNVOICED_PERIOD where unvoiced. */
  period: number;
  voiced: boolean;
}

/**
 * Marks one period apart through voiced stretches. The first of a stretch goes on the largest
 * sample of its first period; each next one where the period after the last mark best matches
 * (cross-correlation within a fifth of a period of one period on), so every grain starts at the
 * same point of its cycle. Placing each on its own largest sample instead jittered the raised
 * voice enough for the pitch tracker to hear an octave down in one frame in eight.
 * `periodAt(pos)`: samples, or 0 where unvoiced.
 */
export function pitchMarks(x: Float32Array, periodAt: (pos: number) => number): PitchMark[] {
  const marks: PitchMark[] = [];
  let pos = 0;
  let last = -1;
  while (pos < x.length) {
    const p = Math.round(periodAt(pos));
    if (p <= 0) {
      marks.push({ pos, period: UNVOICED_PERIOD, voiced: false });
      pos += UNVOICED_PERIOD;
      last = -1;
      continue;
    }
    let best = Math.min(pos, x.length - 1);
    if (last < 0) {
      for (let i = best; i <= Math.min(x.length - 1, pos + p); i++) if (x[i]! > x[best]!) best = i;
    } else {
      const reach = Math.max(1, Math.floor(p / 5));
      let bestScore = -Infinity;
      for (let c = Math.max(last + 1, pos - reach); c <= Math.min(x.length - 1, pos + reach); c++) {
        let score = 0;
        for (let n = 0; n < p && c + n < x.length; n++) score += x[last + n]! * x[c + n]!;
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      }
    }
    marks.push({ pos: best, period: p, voiced: true });
    last = best;
    pos = best + p;
  }
  return marks;
}

/**
 * Resynthesizes `x` with output time t playing input time t·speed and each voiced mark's pitch
 * multiplied by `ratioAt(pos)`. Where grains overlap more than at their own period (a raised
 * pitch), the sum is divided by the window overlap so loudness does not grow with the ratio.
 */
export function psola(x: Float32Array, marks: readonly PitchMark[], ratioAt: (pos: number) => number, speed = 1): Float32Array {
  const length = Math.max(0, Math.round(x.length / speed));
  const out = new Float32Array(length);
  const weight = new Float32Array(length);
  if (marks.length === 0) return out;
  let k = 0;
  for (let t = marks[0]!.pos / speed; t < length; ) {
    const at = t * speed;
    while (k + 1 < marks.length && Math.abs(marks[k + 1]!.pos - at) <= Math.abs(marks[k]!.pos - at)) k++;
    const m = marks[k]!;
    const ratio = m.voiced ? Math.max(0.5, Math.min(2, ratioAt(m.pos))) : 1;
    const centre = Math.round(t);
    const half = m.period;
    for (let n = -half + 1; n < half; n++) {
      const o = centre + n;
      const i = m.pos + n;
      if (o < 0 || o >= length || i < 0 || i >= x.length) continue;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * n) / half);
      out[o] += w * x[i]!;
      weight[o] += w;
    }
    t += m.period / ratio;
  }
  for (let i = 0; i < length; i++) if (weight[i]! > 1) out[i] /= weight[i]!;
  return out;
}
