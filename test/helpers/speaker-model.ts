/**
 * A tiny stand-in for the published speaker-embedding exports (WeSpeaker's `feats` float32
 * [B, T, 80] -> `embs` float32 [B, D]): the per-utterance standard deviation of each fbank bin
 * (the features arrive mean-normalised, so the mean square is the variance), projected to
 * EMBED_DIMS by a fixed pseudo-random matrix. Crude, but a real function of the voice, so the
 * server's ONNX path can be checked for telling speakers apart, not only for running.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
export const EMBED_DIMS = 16;

function valueInfo(name: string, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

export function tinySpeakerModel(input = 'feats', output = 'embs'): Uint8Array {
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const weights = Array.from({ length: 80 * EMBED_DIMS }, random);
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny-speaker',
      node: [
        { opType: 'Mul', input: [input, input], output: ['sq'] },
        { opType: 'ReduceMean', input: ['sq'], output: ['var'], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
        { opType: 'Sqrt', input: ['var'], output: ['std'] },
        { opType: 'MatMul', input: ['std', 'w'], output: [output] },
      ],
      initializer: [{ name: 'w', dataType: DataType.FLOAT, dims: [80, EMBED_DIMS], floatData: weights }],
      input: [valueInfo(input, ['B', 'T', 80])],
      output: [valueInfo(output, ['B', EMBED_DIMS])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * Tiny stand-ins for the two kNN-VC files: the "encoder" cuts the 16 kHz waveform [1, samples]
 * into 20 ms frames as features [1, T, 320] (a strided identity convolution, as WavLM's frame
 * rate), the "vocoder" lays features [1, T, 320] end to end as a waveform [1, T·320]. kNN-VC
 * through them replaces each source frame by the mean of the 4 most similar target frames: the
 * output is made of the target's waveform, so its pitch is the target's.
 */
export function tinyKnnVcModels(): { encoder: Uint8Array; vocoder: Uint8Array } {
  const FRAME = 320;
  const identity = new Array<number>(FRAME * FRAME).fill(0);
  for (let c = 0; c < FRAME; c++) identity[c * FRAME + c] = 1;
  const int64 = (name: string, values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [values.length], int64Data: values });
  const graph = (name: string, nodes: OnnxTypes.INodeProto[], init: OnnxTypes.ITensorProto[], input: OnnxTypes.IValueInfoProto, output: OnnxTypes.IValueInfoProto): Uint8Array =>
    onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'llais-test', opsetImport: [{ domain: '', version: 13 }], graph: { name, node: nodes, initializer: init, input: [input], output: [output] } })).finish();
  const encoder = graph(
    'tiny-wavlm',
    [
      { opType: 'Reshape', input: ['input_values', 'shape3'], output: ['wave3'] },
      { opType: 'Conv', input: ['wave3', 'w'], output: ['conv'], attribute: [{ name: 'strides', type: onnx.AttributeProto.AttributeType.INTS, ints: [FRAME] }, { name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [FRAME] }] },
      { opType: 'Transpose', input: ['conv'], output: ['features'], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] }] },
    ],
    [int64('shape3', [1, 1, -1]), { name: 'w', dataType: DataType.FLOAT, dims: [FRAME, 1, FRAME], floatData: identity }],
    valueInfo('input_values', [1, 'samples']),
    valueInfo('features', [1, 'T', FRAME]),
  );
  const vocoder = graph('tiny-hifigan', [{ opType: 'Reshape', input: ['features', 'shape2'], output: ['waveform'] }], [int64('shape2', [1, -1])], valueInfo('features', [1, 'T', FRAME]), valueInfo('waveform', [1, 'samples']));
  return { encoder, vocoder };
}

/**
 * Tiny stand-ins for the two OpenVoice v2 exports (src/engines/voice/openvoice.ts). The
 * "extractor" is the time-mean of the spectrogram [1, 513, T] projected by a fixed positive
 * matrix to se [1, OPENVOICE_SE_DIMS, 1]; the "converter" projects each spectrogram frame to 256
 * samples (the hop) and scales the waveform [1, 1, T·256] by mean(target se) / mean(source se),
 * so the target's embedding audibly decides the result: its loudness.
 */
export const OPENVOICE_SE_DIMS = 256;
export function tinyOpenVoiceModels(): { extractor: Uint8Array; converter: Uint8Array } {
  let seed = 777;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const ints = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const keep = (k: number): OnnxTypes.IAttributeProto => ({ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: k });
  const model = (name: string, node: OnnxTypes.INodeProto[], initializer: OnnxTypes.ITensorProto[], input: OnnxTypes.IValueInfoProto[], output: OnnxTypes.IValueInfoProto): Uint8Array =>
    onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName: 'llais-test', opsetImport: [{ domain: '', version: 13 }], graph: { name, node, initializer, input, output: [output] } })).finish();
  const extractor = model(
    'tiny-ref-enc',
    [
      { opType: 'ReduceMean', input: ['spec'], output: ['mean'], attribute: [ints('axes', [2]), keep(1)] },
      { opType: 'Transpose', input: ['mean'], output: ['row'], attribute: [ints('perm', [0, 2, 1])] },
      { opType: 'MatMul', input: ['row', 'w'], output: ['proj'] },
      { opType: 'Transpose', input: ['proj'], output: ['se'], attribute: [ints('perm', [0, 2, 1])] },
    ],
    [{ name: 'w', dataType: DataType.FLOAT, dims: [513, OPENVOICE_SE_DIMS], floatData: Array.from({ length: 513 * OPENVOICE_SE_DIMS }, () => random() / 513) }],
    [valueInfo('spec', [1, 513, 'T'])],
    valueInfo('se', [1, OPENVOICE_SE_DIMS, 1]),
  );
  const converter = model(
    'tiny-voice-conversion',
    [
      { opType: 'Transpose', input: ['spec'], output: ['frames'], attribute: [ints('perm', [0, 2, 1])] },
      { opType: 'MatMul', input: ['frames', 'w'], output: ['hops'] },
      { opType: 'Reshape', input: ['hops', 'shape'], output: ['wave'] },
      { opType: 'ReduceMean', input: ['tgt_se'], output: ['tgt'], attribute: [keep(0)] },
      { opType: 'ReduceMean', input: ['src_se'], output: ['src'], attribute: [keep(0)] },
      { opType: 'Div', input: ['tgt', 'src'], output: ['gain'] },
      { opType: 'Mul', input: ['wave', 'gain'], output: ['audio'] },
    ],
    [
      { name: 'w', dataType: DataType.FLOAT, dims: [513, 256], floatData: Array.from({ length: 513 * 256 }, () => (random() - 0.5) * 2e-3) },
      { name: 'shape', dataType: DataType.INT64, dims: [3], int64Data: [1, 1, -1] },
    ],
    [valueInfo('spec', [1, 513, 'T']), valueInfo('src_se', [1, OPENVOICE_SE_DIMS, 1]), valueInfo('tgt_se', [1, OPENVOICE_SE_DIMS, 1])],
    valueInfo('audio', [1, 1, 'samples']),
  );
  return { extractor, converter };
}
