/**
 * What the audio tools have in common once a tool is a block stage: planar float blocks in, each
 * stem's channels out, and the gain each stem gets when it is encoded: loudness normalisation where
 * the tool asks for it (enhance), and for every tool a peak guard so that nothing clips.
 */
import { LoudnessMeter } from '../dsp/loudness.js';
import type { BlockStage } from '../dsp/stage.js';

/** Highest peak a result is encoded with (−0.2 dBFS). */
const PEAK_CEILING = 0.977;

export interface ToolRun {
  /** Stem names, in output order; one stem (`audio`) for enhance and dereverb. */
  stems: readonly string[];
  channels: number;
  /** Output blocks per stem, planar. */
  /** A network stage answers asynchronously (its inference); a DSP stage at once. */
  push(planar: readonly Float32Array[]): Float32Array[][] | Promise<Float32Array[][]>;
  flush(): Float32Array[][] | Promise<Float32Array[][]>;
  /** Once flushed: the gain (dB) to encode each stem with. */
  gainsDb(): number[];
}

/**
 * Wraps a stage whose output channels are the stems' channels one stem after another
 * (stem 0's channels, then stem 1's …), measuring each stem's peak and, with `targetLufs`, loudness.
 */
/** A stage whose blocks come back asynchronously (an ONNX network's). */
export interface AsyncBlockStage {
  push(channels: readonly Float32Array[]): Promise<Float32Array[]>;
  flush(): Promise<Float32Array[]>;
}

export function toolRun(stage: BlockStage | AsyncBlockStage, stems: readonly string[], channels: number, rateHz: number, targetLufs?: number): ToolRun {
  const peaks = stems.map(() => 0);
  const meters = targetLufs === undefined ? undefined : stems.map(() => new LoudnessMeter(rateHz, channels));
  const split = (out: Float32Array[]): Float32Array[][] => {
    const perStem = stems.map((_, s) => out.slice(s * channels, (s + 1) * channels));
    perStem.forEach((chs, s) => {
      meters?.[s]!.push(chs);
      for (const ch of chs) for (let i = 0; i < ch.length; i++) peaks[s] = Math.max(peaks[s]!, Math.abs(ch[i]!));
    });
    return perStem;
  };
  return {
    stems,
    channels,
    push: (planar) => after(stage.push(planar), split),
    flush: () => after(stage.flush(), split),
    gainsDb: () =>
      stems.map((_, s) => {
        const lufs = meters?.[s]!.integrated() ?? Number.NEGATIVE_INFINITY;
        const wanted = targetLufs !== undefined && Number.isFinite(lufs) ? targetLufs - lufs : 0;
        const peak = peaks[s]!;
        const room = peak > 0 ? 20 * Math.log10(PEAK_CEILING / peak) : Number.POSITIVE_INFINITY;
        return Math.min(wanted, room);
      }),
  };
}

function after<T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
