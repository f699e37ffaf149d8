/**
 * Speech denoising with RNNoise (Valin, Xiph.org: a small recurrent network that sets per-band
 * gains, trained on speech over many noise kinds), through `@jitsi/rnnoise-wasm`'s synchronous
 * WebAssembly build. That build runs in Node worker threads as it is; `@shiguredo/rnnoise-wasm`
 * refuses to start outside a browser (it checks for `window`/`WorkerGlobalScope`).
 *
 * RNNoise works on 480-sample frames at 48 kHz in s16 scale and answers two frames late; the
 * stream here hides both: any block length in, the same length out, aligned with the input.
 */
import createRnnoiseModule, { type RnnoiseModule } from '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js';

export const RNNOISE_RATE_HZ = 48_000;
const FRAME = 480;
/**
 * RNNoise's output lags its input by two frames (its analysis window spans two, and it answers
 * after the second): measured, as the lag of the best correlation with the input, by
 * test/audio-tools-dsp.test.ts.
 */
const LATENCY = 2 * FRAME;
const S16 = 32_768;

let modulePromise: Promise<RnnoiseModule> | undefined;

/** Loads the WebAssembly module once per thread, on first use (workers that never denoise pay nothing). */
export function loadRnnoise(): Promise<RnnoiseModule> {
  modulePromise ??= createRnnoiseModule();
  return modulePromise;
}

/**
 * One channel's denoiser. `passes` runs the network that many times in series (a second pass takes
 * what the first left); `wet` < 1 keeps some of the input, for a lighter touch.
 */
export class RnnoiseChannel {
  private readonly states: number[];
  private readonly buffer: number;
  private readonly pending = new Float32Array(FRAME);
  private pendingCount = 0;
  /** The input, delayed to line up with the network's output, for the dry share. */
  private readonly dryDelay: Float32Array;
  private toDrop: number;
  private samplesIn = 0;
  private samplesOut = 0;

  constructor(private readonly mod: RnnoiseModule, passes: number, private readonly wet: number) {
    this.states = Array.from({ length: passes }, () => mod._rnnoise_create());
    this.buffer = mod._malloc(FRAME * 4);
    this.toDrop = LATENCY * passes;
    this.dryDelay = new Float32Array(LATENCY * passes + FRAME);
  }

  push(block: Float32Array): Float32Array {
    this.samplesIn += block.length;
    return this.consume(block, Number.POSITIVE_INFINITY);
  }

  flush(): Float32Array {
    const owed = this.samplesIn - this.samplesOut;
    const out = this.consume(new Float32Array(owed + LATENCY * this.states.length + FRAME), owed);
    this.destroy();
    return out;
  }

  destroy(): void {
    for (const s of this.states.splice(0)) this.mod._rnnoise_destroy(s);
    this.mod._free(this.buffer);
  }

  private consume(block: Float32Array, maxOut: number): Float32Array {
    const out = new Float32Array(Math.max(0, Math.min(block.length + FRAME, maxOut)));
    let written = 0;
    for (let pos = 0; pos < block.length; ) {
      const take = Math.min(FRAME - this.pendingCount, block.length - pos);
      this.pending.set(block.subarray(pos, pos + take), this.pendingCount);
      this.pendingCount += take;
      pos += take;
      if (this.pendingCount < FRAME) break;
      this.pendingCount = 0;
      const frame = this.runFrame();
      // The dry path: the same frame, delayed by the network's latency.
      const d = this.dryDelay;
      d.copyWithin(0, FRAME);
      d.set(this.pending, d.length - FRAME);
      const from = Math.min(FRAME, this.toDrop);
      this.toDrop -= from;
      const count = Math.min(FRAME - from, out.length - written);
      const dry = 1 - this.wet;
      for (let i = 0; i < count; i++) out[written + i] = this.wet * frame[from + i]! + dry * d[from + i]!;
      written += count;
    }
    this.samplesOut += written;
    return written === out.length ? out : out.subarray(0, written);
  }

  private runFrame(): Float32Array {
    const view = (): Float32Array => new Float32Array(this.mod.HEAPF32.buffer, this.buffer, FRAME);
    const v = view();
    for (let i = 0; i < FRAME; i++) v[i] = this.pending[i]! * S16;
    for (const state of this.states) this.mod._rnnoise_process_frame(state, this.buffer, this.buffer);
    const result = new Float32Array(FRAME);
    const after = view();
    for (let i = 0; i < FRAME; i++) result[i] = after[i]! / S16;
    return result;
  }
}
