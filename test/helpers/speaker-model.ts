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
