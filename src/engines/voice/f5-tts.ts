/**
 * F5-TTS zero-shot cloning (Chen et al. 2024) on onnxruntime-node, in the three-graph ONNX export
 * of DakeQQ/F5-TTS-ONNX (Export_ONNX/F5_TTS/Export_F5.py), float32 transformer:
 * - F5_Preprocess.onnx: audio int16 [1, 1, N] at 24 kHz, text_ids int32 [1, T], max_duration
 *   int64 [] -> noise, rope_cos, rope_sin, cat_mel_text, cat_mel_text_drop, ref_signal_len int64
 *   []. The reference's log-mel (n_fft 1024, hop 256, 100 HTK mels, RMS set to 0.15) is computed
 *   inside this graph, so no mel front end runs here.
 * - F5_Transformer.onnx: the five tensors above with time_step int32 [1] -> denoised, time_step:
 *   one Euler flow-matching step (CFG 2, sway sampling), run NFE_STEPS times. Between steps the
 *   pool's cancel flag is read (a run itself is never interrupted; see workers/pool.ts).
 * - F5_Decode.onnx: denoised, ref_signal_len -> output_audio int16 [1, 1, samples] (Vocos).
 * The text is the reference's transcript followed by the text to speak, one vocabulary entry
 * per character (vocab.txt of SWivid/F5-TTS F5TTS_v1_Base, line i = id i), as upstream's
 * convert_char_to_pinyin and list_str_to_idx give for text without Chinese (pinyin is not done
 * here: a Chinese character becomes its own entry if the vocabulary has it, else 0 as upstream).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ApiError } from '../../errors.js';
import { fileSession, type FileSessionErrors } from '../onnx/file-session.js';

export const F5_FILES = { preprocess: 'F5_Preprocess.onnx', transformer: 'F5_Transformer.onnx', decode: 'F5_Decode.onnx', vocab: 'vocab.txt' } as const;
export const F5_SAMPLE_RATE_HZ = 24_000;
/** The export's HOP_LENGTH and NFE_STEP. */
const HOP_LENGTH = 256;
export const NFE_STEPS = 32;
/** Upstream's zh_pause_punc: each counts 3 more bytes in the duration estimate. */
const PAUSE_PUNCTUATION = /[。，、；：？！]/g;

export interface F5Paths { preprocess: string; transformer: string; decode: string; vocab: string }

/** vocab.txt: one entry per line, its line number its id (upstream drops each line's last character, the newline). */
export function parseVocab(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return new Map(lines.map((entry, i) => [entry, i]));
}

/** Upstream's custom_trans, then one entry per character. */
export function f5TextIds(text: string, vocab: ReadonlyMap<string, number>): Int32Array {
  const translated = text.replace(/;/g, ',').replace(/[“”]/g, '"').replace(/[‘’]/g, "'");
  return Int32Array.from([...translated], (c) => vocab.get(c) ?? 0);
}

/** Upstream's frame budget: the reference's frames plus the same frames per UTF-8 byte for the new text. */
export function f5MaxDuration(referenceSamples: number, referenceText: string, text: string, speed = 1): number {
  const bytes = (s: string): number => Buffer.byteLength(s, 'utf8') + 3 * (s.match(PAUSE_PUNCTUATION)?.length ?? 0);
  const refFrames = Math.floor(referenceSamples / HOP_LENGTH) + 1;
  return refFrames + Math.floor((refFrames / Math.max(1, bytes(referenceText))) * bytes(text) / speed);
}

const errorsFor = (file: string, inputs: number, outputs: number): FileSessionErrors => ({
  unloadable: (cause) => new ApiError('engine_not_available', `The F5-TTS file ${file} does not load (${cause instanceof Error ? cause.message : String(cause)}); reinstall it with: llais models pull f5-tts`),
  wrongShape: (i, o) => new ApiError('engine_not_available', `The F5-TTS file ${file} has ${i} inputs and ${o} outputs; the DakeQQ/F5-TTS-ONNX export has ${inputs} and ${outputs}`),
});

function tensorOut(result: ort.InferenceSession.OnnxValueMapType, session: ort.InferenceSession, i: number): ort.Tensor {
  return result[session.outputNames[i]!] as ort.Tensor;
}

export interface F5Options {
  speed?: number;
  /** [0] set non-zero by the pool when the task is cancelled. */
  cancelFlag?: Int32Array;
}

/** `text` spoken in the voice of `reference` (24 kHz mono, transcript `referenceText`); 24 kHz out. */
export async function f5Clone(paths: F5Paths, reference: Int16Array, referenceText: string, text: string, opts: F5Options = {}): Promise<Int16Array> {
  const vocab = parseVocab(readFileSync(paths.vocab, 'utf8'));
  const pre = await fileSession(paths.preprocess, { inputs: 3, outputs: 6 }, errorsFor(F5_FILES.preprocess, 3, 6));
  const step = await fileSession(paths.transformer, { inputs: 6, outputs: 2 }, errorsFor(F5_FILES.transformer, 6, 2));
  const decode = await fileSession(paths.decode, { inputs: 2, outputs: 1 }, errorsFor(F5_FILES.decode, 2, 1));
  const ids = f5TextIds(referenceText + text, vocab);
  const maxDuration = f5MaxDuration(reference.length, referenceText, text, opts.speed ?? 1);
  const prepared = await pre.run({
    [pre.inputNames[0]!]: new ort.Tensor('int16', reference, [1, 1, reference.length]),
    [pre.inputNames[1]!]: new ort.Tensor('int32', ids, [1, ids.length]),
    [pre.inputNames[2]!]: new ort.Tensor('int64', BigInt64Array.of(BigInt(maxDuration)), []),
  });
  let noise = tensorOut(prepared, pre, 0);
  if (noise.type !== 'float32') throw new ApiError('engine_not_available', `The F5-TTS preprocess graph answered ${noise.type} noise; only the float32 export is supported`);
  const fixed = [1, 2, 3, 4].map((i) => tensorOut(prepared, pre, i));
  let timeStep: ort.Tensor = new ort.Tensor('int32', Int32Array.of(0), [1]);
  for (let i = 0; i < NFE_STEPS; i++) {
    if (opts.cancelFlag && Atomics.load(opts.cancelFlag, 0) !== 0) throw new DOMException('The cloning was cancelled', 'AbortError');
    const feeds: Record<string, ort.Tensor> = { [step.inputNames[0]!]: noise, [step.inputNames[5]!]: timeStep };
    fixed.forEach((t, k) => (feeds[step.inputNames[k + 1]!] = t));
    const out = await step.run(feeds);
    [noise, timeStep] = [tensorOut(out, step, 0), tensorOut(out, step, 1)];
  }
  const audio = tensorOut(await decode.run({ [decode.inputNames[0]!]: noise, [decode.inputNames[1]!]: tensorOut(prepared, pre, 5) }), decode, 0);
  if (audio.type !== 'int16') throw new ApiError('engine_not_available', `The F5-TTS decode graph answered ${audio.type} [${audio.dims.join(', ')}]; expected int16 [1, 1, samples]`);
  return Int16Array.from(audio.data as Int16Array);
}
