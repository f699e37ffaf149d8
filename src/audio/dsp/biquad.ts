/**
 * Second-order IIR sections (RBJ's audio EQ cookbook) for the clarity chain and the K-weighting of
 * loudness measurement: cheap, streaming, one state per channel, exact coefficients at any rate.
 */

export interface BiquadCoefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

function normalised(b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): BiquadCoefficients {
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

export function highPass(rateHz: number, cutoffHz: number, q = Math.SQRT1_2): BiquadCoefficients {
  const w = (2 * Math.PI * cutoffHz) / rateHz;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w);
  return normalised((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha);
}

export function peaking(rateHz: number, centreHz: number, gainDb: number, q: number): BiquadCoefficients {
  const a = 10 ** (gainDb / 40);
  const w = (2 * Math.PI * centreHz) / rateHz;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w);
  return normalised(1 + alpha * a, -2 * c, 1 - alpha * a, 1 + alpha / a, -2 * c, 1 - alpha / a);
}

export function highShelf(rateHz: number, cornerHz: number, gainDb: number, q = Math.SQRT1_2): BiquadCoefficients {
  const a = 10 ** (gainDb / 40);
  const w = (2 * Math.PI * cornerHz) / rateHz;
  const alpha = Math.sin(w) / (2 * q);
  const c = Math.cos(w);
  const s = 2 * Math.sqrt(a) * alpha;
  return normalised(
    a * (a + 1 + (a - 1) * c + s),
    -2 * a * (a - 1 + (a + 1) * c),
    a * (a + 1 + (a - 1) * c - s),
    a + 1 - (a - 1) * c + s,
    2 * (a - 1 - (a + 1) * c),
    a + 1 - (a - 1) * c - s,
  );
}

/** One section's state (direct form I), applied in place to a block. */
export class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(private readonly k: BiquadCoefficients) {}

  process(block: Float32Array | Float64Array): void {
    const { b0, b1, b2, a1, a2 } = this.k;
    let { x1, x2, y1, y2 } = this;
    for (let i = 0; i < block.length; i++) {
      const x = block[i]!;
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      block[i] = y;
    }
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = y1;
    this.y2 = y2;
  }
}
