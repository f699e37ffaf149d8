/**
 * A Demucs ONNX export (catalogue.ts) on onnxruntime-node, in a pool worker, as a streaming block
 * stage: 44.1 kHz audio in, each stem's channels out (stem 0's, then stem 1's …, as tool-run.ts
 * expects), segment by segment through overlap-add.ts. Mono input is sent as two equal channels and
 * each stem folded back to mono. Cancellation is the shared flag the pool sets (a thread inside an
 * inference must not be terminated), read before every segment.
 */
import * as ort from 'onnxruntime-node';

import { ApiError } from '../../errors.js';
import { fileSession } from '../onnx/file-session.js';
import { OverlapAdd } from './overlap-add.js';

export interface DemucsModelSpec {
  id: string;
  path: string;
  /** The export's fixed input length (frames). */
  segmentFrames: number;
}


function damaged(model: DemucsModelSpec, why: string): ApiError {
  return new ApiError('model_not_installed', `The ${model.id} separation model at ${model.path} is damaged or not a ${model.id} export (${why}); reinstall it with \`llais models pull ${model.id}\`.`, 'stems');
}

function sessionFor(model: DemucsModelSpec): Promise<ort.InferenceSession> {
  return fileSession(model.path, { inputs: 1, outputs: 1 }, {
    unloadable: (cause) => damaged(model, cause instanceof Error ? cause.message.split('\n')[0]! : String(cause)),
    wrongShape: (ins, outs) => damaged(model, `${ins} inputs and ${outs} outputs; expected one of each`),
  });
}

export interface DemucsStageOptions {
  model: DemucsModelSpec;
  stems: number;
  channels: 1 | 2;
  /** [0] set non-zero by the pool when the task is cancelled. */
  cancelFlag?: Int32Array;
}

/** Output planar blocks: `stems × channels` channels. */
export async function demucsStage(opts: DemucsStageOptions): Promise<{ push(x: readonly Float32Array[]): Promise<Float32Array[]>; flush(): Promise<Float32Array[]> }> {
  const session = await sessionFor(opts.model);
  const L = opts.model.segmentFrames;
  const S = opts.stems;
  const runSegment = async (input: Float32Array[]): Promise<Float32Array[]> => {
    if (opts.cancelFlag && Atomics.load(opts.cancelFlag, 0) !== 0) throw new DOMException('The separation was cancelled', 'AbortError');
    const data = new Float32Array(2 * L);
    data.set(input[0]!, 0);
    data.set(input[1]!, L);
    const out = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, [1, 2, L]) }))[session.outputNames[0]!]!;
    const dims = out.dims.map(Number);
    if (out.type !== 'float32' || dims.join(',') !== `1,${S},2,${L}`) throw damaged(opts.model, `it answered ${out.type} [${dims.join(', ')}], expected float32 [1, ${S}, 2, ${L}]`);
    const y = out.data as Float32Array;
    return Array.from({ length: S * 2 }, (_, k) => y.subarray(k * L, (k + 1) * L));
  };
  const ola = new OverlapAdd(L, 2, S * 2, runSegment);
  const toStereo = (x: readonly Float32Array[]): Float32Array[] => (opts.channels === 2 ? [...x] : [x[0]!, x[0]!]);
  const fromStereo = (y: Float32Array[]): Float32Array[] => {
    if (opts.channels === 2) return y;
    return Array.from({ length: S }, (_, s) => {
      const [l, r] = [y[2 * s]!, y[2 * s + 1]!];
      return Float32Array.from(l, (v, i) => (v + r[i]!) / 2);
    });
  };
  return {
    push: async (x) => fromStereo(await ola.push(toStereo(x))),
    flush: async () => fromStereo(await ola.flush()),
  };
}
