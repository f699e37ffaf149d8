/**
 * A complex FFT for any length whose prime factors are small (Whisper's N_FFT is 400 = 4·4·5·5,
 * not a power of two): an iterative Stockham decimation-in-frequency transform with one generic
 * radix-p butterfly, so the output comes out in natural order without a bit-reversal pass.
 * Cost per transform is N·(sum of the factors) complex multiplies (400·18) instead of the N²
 * of a direct DFT. Twiddles and scratch are allocated once per plan; a plan is not re-entrant.
 */

export class FftPlan {
  readonly size: number;
  private readonly factors: number[];
  // Per stage: the p×p butterfly matrix exp(-2πi·jk/p) and the n/p·p stage twiddles.
  private readonly stages: { p: number; m: number; s: number; bRe: Float64Array; bIm: Float64Array; tRe: Float64Array; tIm: Float64Array }[];
  private readonly workRe: Float64Array;
  private readonly workIm: Float64Array;
  private readonly accRe: Float64Array;
  private readonly accIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    this.size = size;
    this.factors = factorize(size);
    this.stages = [];
    let n = size;
    let s = 1;
    for (const p of this.factors) {
      const m = n / p;
      const bRe = new Float64Array(p * p);
      const bIm = new Float64Array(p * p);
      for (let j = 0; j < p; j++) {
        for (let k = 0; k < p; k++) {
          const angle = (-2 * Math.PI * ((j * k) % p)) / p;
          bRe[j * p + k] = Math.cos(angle);
          bIm[j * p + k] = Math.sin(angle);
        }
      }
      const tRe = new Float64Array(m * p);
      const tIm = new Float64Array(m * p);
      for (let q = 0; q < m; q++) {
        for (let k = 0; k < p; k++) {
          const angle = (-2 * Math.PI * q * k) / n;
          tRe[q * p + k] = Math.cos(angle);
          tIm[q * p + k] = Math.sin(angle);
        }
      }
      this.stages.push({ p, m, s, bRe, bIm, tRe, tIm });
      n = m;
      s *= p;
    }
    this.workRe = new Float64Array(size);
    this.workIm = new Float64Array(size);
    const maxP = Math.max(1, ...this.factors);
    this.accRe = new Float64Array(maxP);
    this.accIm = new Float64Array(maxP);
  }

  /** In-place forward transform X[k] = Σ x[n]·exp(-2πi·nk/N) of `re` + i·`im`. */
  transform(re: Float64Array, im: Float64Array): void {
    let xRe = re;
    let xIm = im;
    let yRe = this.workRe;
    let yIm = this.workIm;
    const { accRe, accIm } = this;
    for (const { p, m, s, bRe, bIm, tRe, tIm } of this.stages) {
      for (let q = 0; q < m; q++) {
        for (let t = 0; t < s; t++) {
          for (let k = 0; k < p; k++) {
            let sumRe = 0;
            let sumIm = 0;
            for (let j = 0; j < p; j++) {
              const idx = t + s * (q + j * m);
              const wr = bRe[j * p + k];
              const wi = bIm[j * p + k];
              sumRe += xRe[idx] * wr - xIm[idx] * wi;
              sumIm += xRe[idx] * wi + xIm[idx] * wr;
            }
            accRe[k] = sumRe;
            accIm[k] = sumIm;
          }
          for (let k = 0; k < p; k++) {
            const wr = tRe[q * p + k];
            const wi = tIm[q * p + k];
            const out = t + s * (q * p + k);
            yRe[out] = accRe[k] * wr - accIm[k] * wi;
            yIm[out] = accRe[k] * wi + accIm[k] * wr;
          }
        }
      }
      [xRe, yRe] = [yRe, xRe];
      [xIm, yIm] = [yIm, xIm];
    }
    if (xRe !== re) {
      re.set(xRe);
      im.set(xIm);
    }
  }
}

/** Prime factors with 2·2 merged into 4: fewer stages mean fewer passes over the data. */
function factorize(size: number): number[] {
  const factors: number[] = [];
  let rest = size;
  while (rest % 4 === 0) {
    factors.push(4);
    rest /= 4;
  }
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}
