/**
 * Minimum statistics (Martin 2001), per bin: the power smoothed over time, and its minimum over
 * the last SUB_WINDOWS × SUB_FRAMES frames, found from sub-window minima so memory stays fixed
 * however long the audio. Both noise suppressors (spectral-denoise.ts, omlsa-denoise.ts) track
 * noise from it.
 */
const SMOOTHING = 0.8;
/** Sub-windows of the minimum search, and frames in each (8 × 24 hops: ~1 s at 5.3 ms, ~4 s at 21 ms). */
const SUB_WINDOWS = 8;
const SUB_FRAMES = 24;

export class MinimumStatistics {
  /** The smoothed power per bin, as of the last `update`. */
  readonly smoothed: Float64Array;
  private readonly currentMin: Float64Array;
  private readonly minima: Float64Array[];
  private frames = 0;

  constructor(bins: number) {
    this.smoothed = new Float64Array(bins);
    this.currentMin = new Float64Array(bins).fill(Number.POSITIVE_INFINITY);
    this.minima = Array.from({ length: SUB_WINDOWS }, () => new Float64Array(bins).fill(Number.POSITIVE_INFINITY));
  }

  /** True before the first frame has ended: the recursive averages start from that frame's power. */
  get first(): boolean {
    return this.frames === 0;
  }

  /** Takes bin `k`'s power in this frame; returns the minimum smoothed power of the search window. */
  update(k: number, power: number): number {
    const smoothed = this.frames === 0 ? power : SMOOTHING * this.smoothed[k]! + (1 - SMOOTHING) * power;
    this.smoothed[k] = smoothed;
    const current = Math.min(this.currentMin[k]!, smoothed);
    this.currentMin[k] = current;
    let minimum = current;
    for (const m of this.minima) minimum = Math.min(minimum, m[k]!);
    return minimum;
  }

  /** Ends the frame (after every bin's `update`): a completed sub-window's minimum replaces the oldest. */
  endFrame(): void {
    const slot = Math.floor(this.frames / SUB_FRAMES) % SUB_WINDOWS;
    this.frames++;
    if (this.frames % SUB_FRAMES === 0) {
      this.minima[slot]!.set(this.currentMin);
      this.currentMin.fill(Number.POSITIVE_INFINITY);
    }
  }
}
