/**
 * Integrated loudness per ITU-R BS.1770-4 / EBU R128, measured as the signal streams past: the
 * K-weighting pre-filter (a high shelf of +4 dB above ~1.7 kHz, then a ~38 Hz high-pass), mean
 * square over 400 ms blocks every 100 ms, an absolute gate at -70 LUFS and a relative gate 10 LU
 * below the ungated mean. Only one number per 100 ms is kept (36 000 for an hour), never the audio.
 */
import { Biquad } from './biquad.js';

const BLOCK_SEC = 0.4;
const STEP_SEC = 0.1;
const ABSOLUTE_GATE_LUFS = -70;
const RELATIVE_GATE_LU = -10;

/** BS.1770's K-weighting at any rate: the standard's 48 kHz filters re-derived as libebur128 does. */
function kWeighting(rateHz: number): Biquad[] {
  let f0 = 1681.974450955533;
  const g = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / rateHz);
  const vh = 10 ** (g / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf = { b0: (vh + (vb * k) / q + k * k) / a0, b1: (2 * (k * k - vh)) / a0, b2: (vh - (vb * k) / q + k * k) / a0, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / rateHz);
  a0 = 1 + k / q + k * k;
  const highPass = { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
  return [new Biquad(shelf), new Biquad(highPass)];
}

function lufsOf(meanSquare: number): number {
  return -0.691 + 10 * Math.log10(meanSquare);
}

export class LoudnessMeter {
  private readonly filters: Biquad[][];
  private readonly stepSamples: number;
  /** Sum over channels of the K-weighted square, per 100 ms step (four make a gating block). */
  private readonly steps: number[] = [];
  private current = 0;
  private currentCount = 0;
  private scratch = new Float64Array(0);

  constructor(rateHz: number, channels: number) {
    this.filters = Array.from({ length: channels }, () => kWeighting(rateHz));
    this.stepSamples = Math.round(rateHz * STEP_SEC);
  }

  /** Planar samples, full scale ±1. */
  push(channels: readonly Float32Array[]): void {
    const length = channels[0]?.length ?? 0;
    if (this.scratch.length < length) this.scratch = new Float64Array(length);
    const sq = this.scratch.subarray(0, length).fill(0);
    const tmp = new Float64Array(length);
    channels.forEach((ch, c) => {
      tmp.set(ch);
      for (const f of this.filters[c]!) f.process(tmp);
      for (let i = 0; i < length; i++) sq[i] = sq[i]! + tmp[i]! * tmp[i]!;
    });
    for (let i = 0; i < length; i++) {
      this.current += sq[i]!;
      if (++this.currentCount === this.stepSamples) {
        this.steps.push(this.current / this.stepSamples);
        this.current = 0;
        this.currentCount = 0;
      }
    }
  }

  /** Gated integrated loudness in LUFS; -Infinity for silence or less than one 400 ms block. */
  integrated(): number {
    const per = Math.round(BLOCK_SEC / STEP_SEC);
    const blocks: number[] = [];
    for (let i = 0; i + per <= this.steps.length; i++) {
      let s = 0;
      for (let j = 0; j < per; j++) s += this.steps[i + j]!;
      blocks.push(s / per);
    }
    const loud = blocks.filter((z) => z > 0 && lufsOf(z) > ABSOLUTE_GATE_LUFS);
    if (loud.length === 0) return Number.NEGATIVE_INFINITY;
    const relativeGate = lufsOf(loud.reduce((a, b) => a + b, 0) / loud.length) + RELATIVE_GATE_LU;
    const gated = loud.filter((z) => lufsOf(z) > relativeGate);
    return lufsOf(gated.reduce((a, b) => a + b, 0) / gated.length);
  }
}
