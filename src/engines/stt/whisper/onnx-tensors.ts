/**
 * The tensor chores of the Whisper ONNX adapter: float16 graphs (the `_fp16` exports) take and
 * give IEEE half floats as raw `Uint16Array`s (Node 20 has no Float16Array), and the decoder's
 * key/value cache is reordered by whole rows for beam search.
 */
import * as ort from 'onnxruntime-node';

/** The float element types Whisper exports use for audio features, hidden states and caches. */
export type FloatType = 'float32' | 'float16';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 to IEEE 754 half, rounded to nearest even; overflow becomes infinity. */
function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - e);
    const rounded = m + 0xfff + ((m >>> 13) & 1);
    return sign | (rounded >>> 13);
  }
  const rounded = mant + 0xfff + ((mant >>> 13) & 1);
  // A carry out of the mantissa bumps the exponent, which is the right result (up to infinity).
  return (sign | (e << 10)) + (rounded >>> 13);
}

/** One IEEE 754 half to a number. */
function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A float tensor of `type` holding `data`. */
export function floatTensor(type: FloatType, data: Float32Array, dims: readonly number[]): ort.Tensor {
  if (type === 'float32') return new ort.Tensor('float32', data, dims);
  const half = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) half[i] = toHalf(data[i]!);
  return new ort.Tensor('float16', half, dims);
}

/** A float tensor's values as float32 (a float32 tensor's own data, not a copy). */
export function floatData(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') {
    const half = tensor.data as Uint16Array;
    const out = new Float32Array(half.length);
    for (let i = 0; i < half.length; i++) out[i] = fromHalf(half[i]!);
    return out;
  }
  throw new Error(`expected a float tensor, got ${tensor.type}`);
}

/** A tensor with no elements (the cache before the first token): `[rows, heads, 0, headDim]`. */
export function emptyTensor(type: FloatType, dims: readonly number[]): ort.Tensor {
  return type === 'float32' ? new ort.Tensor('float32', new Float32Array(0), dims) : new ort.Tensor('float16', new Uint16Array(0), dims);
}

type RowData = Float32Array | Uint16Array;

/** Rows (the first dimension) of `tensor` picked by index, repeats allowed. */
export function gatherRows(tensor: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const [count, ...rest] = tensor.dims;
  const data = tensor.data as RowData;
  const rowSize = count === 0 ? 0 : data.length / count!;
  const out = new (data.constructor as new (n: number) => RowData)(rowSize * rows.length);
  rows.forEach((row, i) => {
    if (row < 0 || row >= count!) throw new RangeError(`row ${row} of ${count}`);
    out.set(data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize);
  });
  return new ort.Tensor(tensor.type as 'float32', out as Float32Array, [rows.length, ...rest]);
}

/** The first row of `tensor` repeated `count` times. */
export function repeatFirstRow(tensor: ort.Tensor, count: number): ort.Tensor {
  return gatherRows(tensor, new Array<number>(count).fill(0));
}
