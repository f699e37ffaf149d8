/**
 * A neural speaker embedding on onnxruntime-node, for the exports `llais models pull` installs
 * (src/voice/voice-models.ts): one float32 input of fbank features [B, T, 80] (fbank.ts), one
 * float32 output [B, D], whatever the names (WeSpeaker's `feats`/`embs`, 3D-Speaker's
 * `x`/`embedding`, sherpa-onnx's exports alike). Runs in a pool worker; one session per model
 * file per thread, replaced when the file changes.
 */
import * as ort from 'onnxruntime-node';
import { fileSession } from '../onnx/file-session.js';
import { ApiError } from '../../errors.js';
import { FBANK_BINS, fbank } from './fbank.js';


function sessionFor(path: string): Promise<ort.InferenceSession> {
  return fileSession(path, { inputs: 1, outputs: 1 }, {
    // A truncated download or a file that is not ONNX: the install is at fault, not the request.
    unloadable: (cause) => new ApiError('engine_not_available', `The speaker-embedding model ${path} cannot be loaded; reinstall it (llais models pull)`, null, { cause }),
    wrongShape: (ins, outs) =>
      new ApiError('engine_not_available', `The speaker-embedding model ${path} has ${ins} inputs and ${outs} outputs; expected fbank features [B, T, ${FBANK_BINS}] in and an embedding [B, D] out`),
  });
}

/** Loads (and checks) the model now, so that a broken install fails before any audio is spent on it. */
export async function loadSpeakerModel(modelPath: string): Promise<void> {
  await sessionFor(modelPath);
}

/** The model's embedding of 16 kHz PCM, length-normalised. */
export async function onnxSpeakerEmbedding(modelPath: string, pcm: Int16Array): Promise<number[]> {
  const session = await sessionFor(modelPath);
  const { data, frames } = fbank(pcm);
  if (frames === 0) throw new ApiError('unprocessable_audio', 'The audio is too short to compute a speaker embedding from', 'file');
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', data, [1, frames, FBANK_BINS]) });
  const tensor = out[session.outputNames[0]!]!;
  if (tensor.type !== 'float32' || tensor.dims.length !== 2 || tensor.dims[0] !== 1) {
    throw new ApiError('engine_not_available', `The speaker-embedding model answered ${tensor.type} [${tensor.dims.join(', ')}]; expected float32 [1, D]`);
  }
  return normalize(Array.from(tensor.data as Float32Array));
}

function normalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0)) || 1;
  return v.map((x) => x / norm);
}
