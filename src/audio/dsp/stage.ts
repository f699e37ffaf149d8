/**
 * A block stage: any streaming step of an audio tool (RNNoise, an STFT mask, an EQ) behind one
 * shape, so that a tool is a list of stages. Every stage returns output aligned with its input and,
 * once flushed, exactly as long, so stages chain without bookkeeping and nothing holds the signal.
 */
import { StftBlockProcessor, type FrameFunction, type StftOptions } from './stft-block.js';

export interface BlockStage {
  /** Planar blocks in (one array per channel); what is final so far out. */
  push(channels: readonly Float32Array[]): Float32Array[];
  /** The rest, once the input has ended. */
  flush(): Float32Array[];
}

/** Stages in series: each one's output is the next one's input, flushes passed along in order. */
export function chainStages(stages: readonly BlockStage[]): BlockStage {
  return {
    push(channels) {
      let x: Float32Array[] = channels as Float32Array[];
      for (const s of stages) x = s.push(x);
      return x;
    },
    flush() {
      const parts: Float32Array[][] = [];
      for (let i = 0; i < stages.length; i++) {
        let x = stages[i]!.flush();
        for (let j = i + 1; j < stages.length; j++) x = stages[j]!.push(x);
        parts.push(x);
      }
      return concatPlanar(parts);
    },
  };
}

/** A per-channel step (the same kind of processor on each channel, independent states). */
export function perChannel<T extends { push(x: Float32Array): Float32Array; flush(): Float32Array }>(make: () => T, channels: number): BlockStage {
  const each = Array.from({ length: channels }, make);
  return {
    push: (x) => each.map((p, c) => p.push(x[c]!)),
    flush: () => each.map((p) => p.flush()),
  };
}

/** An STFT frame function as a stage. */
export function stftStage(opts: StftOptions, frame: FrameFunction): BlockStage {
  const p = new StftBlockProcessor(opts, frame);
  return { push: (x) => p.push(x), flush: () => p.flush() };
}

/** Joins planar parts end to end, channel by channel. */
export function concatPlanar(parts: readonly Float32Array[][]): Float32Array[] {
  const channels = parts[0]?.length ?? 0;
  return Array.from({ length: channels }, (_, c) => {
    const total = parts.reduce((n, p) => n + p[c]!.length, 0);
    const out = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p[c]!, at);
      at += p[c]!.length;
    }
    return out;
  });
}
