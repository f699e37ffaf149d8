/**
 * OpenVoice v2's tone-colour converter (Qin et al. 2023, myshell-ai/OpenVoice) on
 * onnxruntime-node, in a pool worker. Upstream publishes a PyTorch checkpoint only
 * (checkpoints_v2/converter), so the two ONNX files are exported by hand in this layout
 * (src/voice/voice-models.ts, docs/voice-identity.md):
 * - the tone-colour extractor (`ref_enc`, transposing inside): spectrogram [1, 513, T] -> speaker
 *   embedding ("se") [1, 256, 1];
 * - the converter (`voice_conversion` with tau 0.3 and the lengths taken from T inside):
 *   spectrogram [1, 513, T], source se [1, 256, 1], target se [1, 256, 1], in that order ->
 *   waveform [1, 1, samples] or [1, samples] at 22.05 kHz.
 * As upstream does, the source's se is extracted from the source itself and the target's from the
 * target's reference audio; the spectrogram is linear-spectrogram.ts's.
 */
import * as ort from 'onnxruntime-node';
import { ApiError } from '../../errors.js';
import { fileSession } from '../onnx/file-session.js';
import { resampleSinc } from './sinc-resample.js';
import { linearSpectrogram, OPENVOICE_BINS, OPENVOICE_SAMPLE_RATE_HZ } from './linear-spectrogram.js';

export interface OpenVoiceFiles {
  extractor: string;
  converter: string;
}

function sessionFor(path: string, inputs: number): Promise<ort.InferenceSession> {
  return fileSession(path, { inputs, outputs: 1 }, {
    unloadable: (cause) => new ApiError('engine_not_available', `The OpenVoice model ${path} cannot be loaded; re-export it (llais models pull openvoice-v2 says how)`, null, { cause }),
    wrongShape: (ins, outs) => new ApiError('engine_not_available', `The OpenVoice model ${path} has ${ins} inputs and ${outs} outputs; expected ${inputs} and 1`),
  });
}

async function spectrogramTensor(pcm: Int16Array, rateHz: number): Promise<ort.Tensor> {
  const wave = resampleSinc(Float32Array.from(pcm, (x) => x / 32768), rateHz, OPENVOICE_SAMPLE_RATE_HZ);
  const { data, frames } = linearSpectrogram(wave);
  if (frames === 0) throw new ApiError('unprocessable_audio', 'The audio is too short to convert', 'file');
  return new ort.Tensor('float32', data, [1, OPENVOICE_BINS, frames]);
}

async function extract(path: string, spec: ort.Tensor): Promise<ort.Tensor> {
  const session = await sessionFor(path, 1);
  const se = (await session.run({ [session.inputNames[0]!]: spec }))[session.outputNames[0]!]!;
  if (se.type !== 'float32' || se.dims.length !== 3 || se.dims[0] !== 1 || se.dims[2] !== 1) {
    throw new ApiError('engine_not_available', `The OpenVoice tone-colour extractor answered ${se.type} [${se.dims.join(', ')}]; expected float32 [1, 256, 1]`);
  }
  return se;
}

/** The tone-colour embedding of `pcm` (mono at `rateHz`). */
export async function openVoiceEmbedding(extractorPath: string, pcm: Int16Array, rateHz: number): Promise<Float32Array> {
  return (await extract(extractorPath, await spectrogramTensor(pcm, rateHz))).data as Float32Array;
}

/** `source` re-spoken in `target`'s tone colour; both and the result mono at `rateHz`. */
export async function openVoiceConvert(files: OpenVoiceFiles, source: Int16Array, target: Int16Array, rateHz: number): Promise<Int16Array> {
  const spec = await spectrogramTensor(source, rateHz);
  const sourceSe = await extract(files.extractor, spec);
  const targetSe = await extract(files.extractor, await spectrogramTensor(target, rateHz));
  if (sourceSe.dims[1] !== targetSe.dims[1]) throw new ApiError('engine_not_available', 'The OpenVoice extractor gave embeddings of different sizes');
  const converter = await sessionFor(files.converter, 3);
  const [specName, srcName, tgtName] = converter.inputNames as [string, string, string];
  const out = (await converter.run({ [specName]: spec, [srcName]: sourceSe, [tgtName]: targetSe }))[converter.outputNames[0]!]!;
  if (out.type !== 'float32' || out.dims[0] !== 1 || out.dims.slice(1, -1).some((d) => d !== 1)) {
    throw new ApiError('engine_not_available', `The OpenVoice converter answered ${out.type} [${out.dims.join(', ')}]; expected float32 [1, 1, samples]`);
  }
  const wave = resampleSinc(out.data as Float32Array, OPENVOICE_SAMPLE_RATE_HZ, rateHz);
  return Int16Array.from(wave, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32768))));
}
