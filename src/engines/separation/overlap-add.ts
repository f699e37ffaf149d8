/**
 * Demucs' way of running a fixed-length network over a whole file (demucs/apply.py), streamed:
 * segments of `segment` frames every `stride` frames, each output weighted by a triangular window
 * and divided by the summed weights, so every output frame is a cross-fade of the segments covering
 * it. Only one segment of input and one of weighted output is held, whatever the file's length; the
 * frames no later segment reaches are handed out as soon as a segment has run.
 */

/** Runs one segment: input planar [channels][segment] -> output [outChannels][segment]. */
export type SegmentRunner = (input: Float32Array[]) => Promise<Float32Array[]>;

/** Demucs' default overlap between consecutive segments. */
export const DEMUCS_OVERLAP = 0.25;

/** Demucs' triangular weight: 1, 2, …, n/2, …, 2, 1 (scaled to a peak of 1; never 0). */
export function triangleWeight(segment: number): Float32Array {
  const half = Math.floor(segment / 2);
  const w = new Float32Array(segment);
  for (let i = 0; i < half; i++) w[i] = i + 1;
  for (let i = half; i < segment; i++) w[i] = segment - i;
  const peak = Math.max(half, segment - half);
  for (let i = 0; i < segment; i++) w[i] = w[i]! / peak;
  return w;
}

export class OverlapAdd {
  private readonly stride: number;
  private readonly weight: Float32Array;
  private readonly input: Float32Array[];
  private readonly acc: Float32Array[];
  private readonly wsum: Float32Array;
  /** Frames in `input` (from the current segment's start). */
  private have = 0;
  private framesIn = 0;
  private framesOut = 0;

  constructor(
    private readonly segment: number,
    inChannels: number,
    private readonly outChannels: number,
    private readonly run: SegmentRunner,
    overlap = DEMUCS_OVERLAP,
  ) {
    this.stride = Math.max(1, Math.floor((1 - overlap) * segment));
    this.weight = triangleWeight(segment);
    this.input = Array.from({ length: inChannels }, () => new Float32Array(segment));
    this.acc = Array.from({ length: outChannels }, () => new Float32Array(segment));
    this.wsum = new Float32Array(segment);
  }

  /** Planar input in; the output frames that are final so far out (planar, `outChannels`). */
  async push(planar: readonly Float32Array[]): Promise<Float32Array[]> {
    const parts: Float32Array[][] = [];
    const length = planar[0]?.length ?? 0;
    let at = 0;
    while (at < length) {
      const n = Math.min(length - at, this.segment - this.have);
      this.input.forEach((ch, c) => ch.set(planar[c]!.subarray(at, at + n), this.have));
      this.have += n;
      at += n;
      this.framesIn += n;
      if (this.have === this.segment) parts.push(await this.step(this.stride));
    }
    return concat(parts, this.outChannels);
  }

  /** Runs the last, zero-padded segments; everything up to the input's length out. */
  async flush(): Promise<Float32Array[]> {
    const parts: Float32Array[][] = [];
    while (this.framesOut < this.framesIn) {
      for (const ch of this.input) ch.fill(0, this.have);
      parts.push(await this.step(Math.min(this.stride, this.framesIn - this.framesOut)));
    }
    return concat(parts, this.outChannels);
  }

  /** Runs the current segment, hands out its first `emit` frames, moves on by a stride. */
  private async step(emit: number): Promise<Float32Array[]> {
    const y = await this.run(this.input);
    const { segment, stride, weight, wsum } = this;
    this.acc.forEach((acc, c) => {
      const out = y[c]!;
      for (let i = 0; i < segment; i++) acc[i] = acc[i]! + weight[i]! * out[i]!;
    });
    for (let i = 0; i < segment; i++) wsum[i] = wsum[i]! + weight[i]!;
    const done = this.acc.map((acc) => {
      const o = new Float32Array(emit);
      for (let i = 0; i < emit; i++) o[i] = acc[i]! / wsum[i]!;
      return o;
    });
    for (const a of [...this.acc, wsum]) {
      a.copyWithin(0, stride);
      a.fill(0, segment - stride);
    }
    for (const ch of this.input) ch.copyWithin(0, stride);
    this.have = Math.max(0, this.have - stride);
    this.framesOut += emit;
    return done;
  }
}

function concat(parts: Float32Array[][], channels: number): Float32Array[] {
  return Array.from({ length: channels }, (_, c) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p[c]!.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[c]!, at);
      at += p[c]!.length;
    }
    return out;
  });
}
