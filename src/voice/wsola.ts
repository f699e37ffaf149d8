/**
 * Time-scale modification by WSOLA (Verhelst & Roelands 1993): 30 ms Hann windows overlap-added
 * every 15 ms of output, each taken from where the input is most similar to the natural
 * continuation of the previous window (within ±7.5 ms of its nominal position), so periods line
 * up and no phasing is heard. The stretch may vary along the input (the converter stretches by
 * each frame's pitch ratio before resampling), and the output's map back to input positions is
 * returned for the steps that follow.
 */

const WINDOW = 480;
const HOP = WINDOW / 2;
const TOLERANCE = 120;
/** Correlation is summed on every second sample: half the cost, no audible difference. */
const CORRELATION_STEP = 2;

export interface Stretched {
  pcm: Float32Array;
  /** inputAt[i]: input sample position heard at output sample i * HOP (linear in between). */
  inputAt: Float64Array;
  hop: number;
}

/** Stretches `x` so that input near position p lasts `stretchAt(p)` times as long. */
export function wsolaStretch(x: Float32Array, stretchAt: (inputPos: number) => number): Stretched {
  const window = Float32Array.from({ length: WINDOW }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / WINDOW));
  let capacity = Math.ceil(x.length * 1.2) + WINDOW * 2;
  let y = new Float32Array(capacity);
  const map: number[] = [];
  let nominal = 0;
  let prevStart = -1;
  for (let k = 0; ; k++) {
    const target = Math.round(nominal);
    if (target + WINDOW > x.length) break;
    let start = target;
    if (prevStart >= 0) {
      const natural = prevStart + HOP;
      let best = -Infinity;
      const lo = Math.max(0, target - TOLERANCE);
      const hi = Math.min(x.length - WINDOW, target + TOLERANCE);
      for (let s = lo; s <= hi; s++) {
        let c = 0;
        for (let n = 0; n < WINDOW && natural + n < x.length; n += CORRELATION_STEP) c += x[s + n]! * x[natural + n]!;
        if (c > best) {
          best = c;
          start = s;
        }
      }
    }
    const at = k * HOP;
    if (at + WINDOW > capacity) {
      capacity = Math.ceil((at + WINDOW) * 1.5);
      const grown = new Float32Array(capacity);
      grown.set(y);
      y = grown;
    }
    for (let n = 0; n < WINDOW; n++) y[at + n] += window[n]! * x[start + n]!;
    map.push(start);
    prevStart = start;
    nominal += HOP / Math.max(0.25, Math.min(4, stretchAt(nominal + WINDOW / 2)));
  }
  const length = map.length === 0 ? 0 : (map.length - 1) * HOP + WINDOW;
  return { pcm: y.subarray(0, length), inputAt: Float64Array.from(map), hop: HOP };
}

/** The input position heard at output sample `i` of a stretch. */
export function inputPosition(s: Pick<Stretched, 'inputAt' | 'hop'>, i: number): number {
  const f = i / s.hop;
  const k = Math.floor(f);
  if (s.inputAt.length === 0) return 0;
  if (k >= s.inputAt.length - 1) return s.inputAt[s.inputAt.length - 1]! + (i - (s.inputAt.length - 1) * s.hop);
  const a = s.inputAt[k]!;
  const b = s.inputAt[k + 1]!;
  return a + (b - a) * (f - k);
}
