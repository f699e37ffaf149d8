/**
 * kNN-VC (Baas, van Niekerk & Kamper 2023) on onnxruntime-node, in a pool worker: the source's
 * self-supervised speech features, each frame replaced by the mean of its K nearest (cosine)
 * frames of the target's features (the "matching set"), vocoded back to a waveform. Two ONNX
 * files (src/voice/voice-models.ts): the feature encoder (WavLM-Large up to layer 6) taking a
 * float32 16 kHz waveform [1, samples] in [-1, 1] to features [1, T, D], and the prematched
 * HiFi-GAN vocoder taking [1, T, D] to a waveform [1, samples] or [1, 1, samples].
 */
import { statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createSession, DEFAULT_ONNX_SETTINGS } from '../onnx/settings.js';
import { ApiError } from '../../errors.js';

/** kNN-VC's published default. */
export const KNN_K = 4;

const sessions = new Map<string, { version: string; session: ort.InferenceSession }>();

async function sessionFor(path: string): Promise<ort.InferenceSession> {
  const st = statSync(path);
  const version = `${st.size}:${st.mtimeMs}`;
  const cached = sessions.get(path);
  if (cached?.version === version) return cached.session;
  if (cached) await cached.session.release();
  const session = await createSession(path, DEFAULT_ONNX_SETTINGS);
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    await session.release();
    throw new ApiError('engine_not_available', `The kNN-VC model ${path} has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; expected one of each`);
  }
  sessions.set(path, { version, session });
  return session;
}

interface Features { data: Float32Array; frames: number; dims: number }

async function encode(path: string, pcm: Int16Array): Promise<Features> {
  const session = await sessionFor(path);
  const wave = Float32Array.from(pcm, (x) => x / 32768);
  const out = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', wave, [1, wave.length]) }))[session.outputNames[0]!]!;
  if (out.type !== 'float32' || out.dims.length !== 3 || out.dims[0] !== 1) throw new ApiError('engine_not_available', `The kNN-VC encoder answered ${out.type} [${out.dims.join(', ')}]; expected float32 [1, T, D]`);
  return { data: out.data as Float32Array, frames: Number(out.dims[1]), dims: Number(out.dims[2]) };
}

/** Each source frame as the mean of its K most similar target frames (cosine). */
export function matchFrames(source: Features, target: Features, k = KNN_K): Float32Array {
  const { dims } = source;
  const norms = (f: Features): Float64Array => Float64Array.from({ length: f.frames }, (_, t) => {
    let s = 0;
    for (let d = 0; d < dims; d++) s += f.data[t * dims + d]! ** 2;
    return Math.sqrt(s) || 1;
  });
  const sn = norms(source);
  const tn = norms(target);
  const kk = Math.min(k, target.frames);
  const out = new Float32Array(source.frames * dims);
  const best = new Int32Array(kk);
  const bestScore = new Float64Array(kk);
  for (let t = 0; t < source.frames; t++) {
    bestScore.fill(-Infinity);
    for (let u = 0; u < target.frames; u++) {
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += source.data[t * dims + d]! * target.data[u * dims + d]!;
      const score = dot / (sn[t]! * tn[u]!);
      if (score <= bestScore[kk - 1]!) continue;
      let i = kk - 1;
      while (i > 0 && bestScore[i - 1]! < score) {
        bestScore[i] = bestScore[i - 1]!;
        best[i] = best[i - 1]!;
        i--;
      }
      bestScore[i] = score;
      best[i] = u;
    }
    for (let j = 0; j < kk; j++) for (let d = 0; d < dims; d++) out[t * dims + d] += target.data[best[j]! * dims + d]! / kk;
  }
  return out;
}

/** `source` re-spoken with `target`'s frames (both 16 kHz mono); 16 kHz out. */
export async function knnVcConvert(encoderPath: string, vocoderPath: string, source: Int16Array, target: Int16Array): Promise<Int16Array> {
  const [src, tgt] = [await encode(encoderPath, source), await encode(encoderPath, target)];
  if (src.dims !== tgt.dims || src.frames === 0 || tgt.frames === 0) throw new ApiError('unprocessable_audio', 'The audio is too short to convert', 'file');
  const matched = matchFrames(src, tgt);
  const vocoder = await sessionFor(vocoderPath);
  const out = (await vocoder.run({ [vocoder.inputNames[0]!]: new ort.Tensor('float32', matched, [1, src.frames, src.dims]) }))[vocoder.outputNames[0]!]!;
  if (out.type !== 'float32' || out.dims[0] !== 1) throw new ApiError('engine_not_available', `The kNN-VC vocoder answered ${out.type} [${out.dims.join(', ')}]; expected float32 [1, samples]`);
  return Int16Array.from(out.data as Float32Array, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))));
}
