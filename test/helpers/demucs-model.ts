/**
 * Tiny stand-ins for a Demucs single-input ONNX export (float32 waveform [1, 2, L] -> [1, S, 2, L]):
 * each stem is the input scaled per stem and channel by a fixed mixing table, so the test knows
 * every stem exactly and a segmenting or cross-fade mistake shows as a wrong sample. `work` chains
 * identity matrix products over the signal (exact in float32) to make a segment cost real time,
 * for the cancellation test.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const BLOCK = 256;

/** Per stem, per channel (left, right): summing to 1 per channel, so the stems add back to the mix. */
export function stemScales(stems: 4 | 6): number[][] {
  return stems === 4
    ? [[0.4, 0.1], [0.3, 0.2], [0.2, 0.3], [0.1, 0.4]]
    : [[0.3, 0.05], [0.25, 0.1], [0.2, 0.1], [0.1, 0.2], [0.1, 0.25], [0.05, 0.3]];
}

function valueInfo(name: string, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** `segment` must be a multiple of 128 (the work blocks are 256 wide over both channels). */
export function tinyDemucsModel(stems: 4 | 6, segment: number, work = 0): Uint8Array {
  const scales = stemScales(stems).flat();
  const identity = new Array<number>(BLOCK * BLOCK).fill(0);
  for (let i = 0; i < BLOCK; i++) identity[i * BLOCK + i] = 1;
  const int64 = (name: string, values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [values.length], int64Data: values });
  const nodes: OnnxTypes.INodeProto[] = [{ opType: 'Reshape', input: ['mix', 'blocks'], output: ['w0'] }];
  for (let i = 0; i < work; i++) nodes.push({ opType: 'MatMul', input: [`w${i}`, 'eye'], output: [`w${i + 1}`] });
  nodes.push(
    { opType: 'Reshape', input: [`w${work}`, 'stereo'], output: ['x'] },
    { opType: 'Unsqueeze', input: ['x', 'axis1'], output: ['x4'] },
    { opType: 'Mul', input: ['x4', 'scales'], output: ['sources'] },
  );
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: `tiny-demucs-${stems}`,
      node: nodes,
      initializer: [
        int64('blocks', [-1, BLOCK]),
        int64('stereo', [1, 2, segment]),
        int64('axis1', [1]),
        ...(work > 0 ? [{ name: 'eye', dataType: DataType.FLOAT, dims: [BLOCK, BLOCK], floatData: identity }] : []),
        { name: 'scales', dataType: DataType.FLOAT, dims: [1, stems, 2, 1], floatData: scales },
      ],
      input: [valueInfo('mix', [1, 2, segment])],
      output: [valueInfo('sources', [1, stems, 2, segment])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
