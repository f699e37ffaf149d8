/**
 * Spleeter as sherpa-onnx exports it (spleeter-catalogue.ts) on onnxruntime-node, in a pool worker,
 * as a streaming block stage: 44.1 kHz audio in, each stem's channels out (stem 0's, then stem 1's
 * …, as tool-run.ts expects). Every 512 STFT frames (chunked-stft.ts) each stem's network estimates
 * its magnitude from the mixture's; the stems are ratio masks of those estimates applied to the
 * mixture's complex spectrum, (y_k² + ε/S) / (Σ_j y_j² + ε), so they add back to the mix below bin
 * 1024, and bins from 1024 up (above ~11 kHz) are zeroed, as k2-fsa/sherpa-onnx
 * scripts/spleeter/separate_onnx.py does (its ε/2 is ε/S for two stems). Mono input is sent as two
 * equal channels and each stem folded back to mono. Cancellation is the shared flag the pool sets,
 * read before every chunk.
 */
import * as ort from 'onnxruntime-node';

import { ApiError } from '../../errors.js';
import { fileSession } from '../onnx/file-session.js';
import { ChunkedStft, STFT_BINS, type ChunkSpectra } from './chunked-stft.js';

/** The export's fixed chunk: 512 frames of the first 1024 bins. */
export const SPLEETER_CHUNK_FRAMES = 512;
export const SPLEETER_BINS = 1024;
const EPS = 1e-10;

export interface SpleeterModelSpec {
  id: string;
  stems: readonly string[];
  /** One `.onnx` per stem, in stem order. */
  paths: readonly string[];
}

function damaged(model: SpleeterModelSpec, path: string, why: string): ApiError {
  return new ApiError('model_not_installed', `The ${model.id} separation model file ${path} is damaged or not a Spleeter stem export (${why}); reinstall it with \`llais models pull ${model.id}\`.`, 'stems');
}

function sessionFor(model: SpleeterModelSpec, path: string): Promise<ort.InferenceSession> {
  return fileSession(path, { inputs: 1, outputs: 1 }, {
    unloadable: (cause) => damaged(model, path, cause instanceof Error ? cause.message.split('\n')[0]! : String(cause)),
    wrongShape: (ins, outs) => damaged(model, path, `${ins} inputs and ${outs} outputs; expected one of each`),
  });
}

export interface SpleeterStageOptions {
  model: SpleeterModelSpec;
  channels: 1 | 2;
  /** [0] set non-zero by the pool when the task is cancelled. */
  cancelFlag?: Int32Array;
}

/** The network input x [2, 1, 512, 1024]: each channel's magnitudes, zero past the chunk's frames. */
function magnitudes(chunk: ChunkSpectra): Float32Array {
  const plane = SPLEETER_CHUNK_FRAMES * SPLEETER_BINS;
  const x = new Float32Array(2 * plane);
  for (let c = 0; c < 2; c++) {
    const [re, im] = [chunk.re[c]!, chunk.im[c]!];
    for (let t = 0; t < chunk.frames; t++) {
      for (let b = 0; b < SPLEETER_BINS; b++) {
        const i = t * STFT_BINS + b;
        x[c * plane + t * SPLEETER_BINS + b] = Math.hypot(re[i]!, im[i]!);
      }
    }
  }
  return x;
}

/** Output planar blocks: `stems × channels` channels. */
export async function spleeterStage(opts: SpleeterStageOptions): Promise<{ push(x: readonly Float32Array[]): Promise<Float32Array[]>; flush(): Promise<Float32Array[]> }> {
  const { model } = opts;
  const sessions = await Promise.all(model.paths.map((p) => sessionFor(model, p)));
  const S = sessions.length;
  const dims = [2, 1, SPLEETER_CHUNK_FRAMES, SPLEETER_BINS];
  const masker = async (chunk: ChunkSpectra): Promise<{ maskBins: number; masks: Float32Array[][] }> => {
    if (opts.cancelFlag && Atomics.load(opts.cancelFlag, 0) !== 0) throw new DOMException('The separation was cancelled', 'AbortError');
    const x = new ort.Tensor('float32', magnitudes(chunk), dims);
    const ys: Float32Array[] = [];
    for (const [k, session] of sessions.entries()) {
      const y = (await session.run({ [session.inputNames[0]!]: x }))[session.outputNames[0]!]!;
      const got = y.dims.map(Number);
      if (y.type !== 'float32' || got.join(',') !== dims.join(',')) throw damaged(model, model.paths[k]!, `it answered ${y.type} [${got.join(', ')}], expected float32 [${dims.join(', ')}]`);
      ys.push(y.data as Float32Array);
    }
    const n = chunk.frames * SPLEETER_BINS;
    const plane = SPLEETER_CHUNK_FRAMES * SPLEETER_BINS;
    // Chunk frames are the first rows of each channel's plane, so index i maps straight across.
    const masks = ys.map(() => [new Float32Array(n), new Float32Array(n)]);
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < n; i++) {
        let sum = EPS;
        for (let k = 0; k < S; k++) sum += ys[k]![c * plane + i]! ** 2;
        for (let k = 0; k < S; k++) masks[k]![c]![i] = (ys[k]![c * plane + i]! ** 2 + EPS / S) / sum;
      }
    }
    return { maskBins: SPLEETER_BINS, masks };
  };
  const stft = new ChunkedStft(2, S, SPLEETER_CHUNK_FRAMES, masker);
  const toStereo = (x: readonly Float32Array[]): Float32Array[] => (opts.channels === 2 ? [...x] : [x[0]!, x[0]!]);
  const fromStereo = (y: Float32Array[][]): Float32Array[] =>
    y.flatMap(([l, r]) => (opts.channels === 2 ? [l!, r!] : [Float32Array.from(l!, (v, i) => (v + r![i]!) / 2)]));
  return {
    push: async (x) => fromStereo(await stft.push(toStereo(x))),
    flush: async () => fromStereo(await stft.flush()),
  };
}
