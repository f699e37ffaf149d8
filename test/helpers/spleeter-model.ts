/**
 * Tiny stand-ins for one stem of a sherpa-onnx Spleeter export (input `x` float32
 * [2, num_splits, 512, 1024] -> output `y` of the same shape): y = x × a fixed per-bin weight. The
 * first stems - 1 stems weigh 1 on their own band of bins and 0 elsewhere; the last ('other') 0.5
 * everywhere, so a tone lands in its band's stem with the squared ratio mask 1 / 1.25 = 0.8 and in
 * 'other' with 0.2 (a magnitude ratio would give 2/3 and 1/3).
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
export const SPLEETER_TEST_BINS = 1024;

function valueInfo(name: string, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** Stem `k` (< stems - 1) keeps bins [k, k+1) × 1024 / (stems - 1). */
export function stemBand(k: number, stems: number): [number, number] {
  const bands = stems - 1;
  return [Math.round((k * SPLEETER_TEST_BINS) / bands), Math.round(((k + 1) * SPLEETER_TEST_BINS) / bands)];
}

export function tinySpleeterStemModel(k: number, stems: number): Uint8Array {
  const [lo, hi] = stemBand(k, stems);
  const other = k === stems - 1;
  const weight = Array.from({ length: SPLEETER_TEST_BINS }, (_, b) => (other ? 0.5 : b >= lo && b < hi ? 1 : 0));
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: `tiny-spleeter-stem-${k}-of-${stems}`,
      node: [{ opType: 'Mul', input: ['x', 'weight'], output: ['y'] }],
      initializer: [{ name: 'weight', dataType: DataType.FLOAT, dims: [SPLEETER_TEST_BINS], floatData: weight }],
      input: [valueInfo('x', [2, 'num_splits', 512, SPLEETER_TEST_BINS])],
      output: [valueInfo('y', [2, 'num_splits', 512, SPLEETER_TEST_BINS])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
