/**
 * An ONNX file's graph inputs and outputs (name, element type, dimensions), read with
 * positioned reads of the protobuf without loading the file: the weights (`initializer`s,
 * hundreds of MB for Kokoro) are skipped by their length prefix, so the main thread can check
 * a large model when it finds it, and a file cut short is found because a length runs past its
 * end. A session is still what proves the weights load; this proves the file is complete and
 * is the model it should be.
 *
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.input = 11, .output = 12;
 * ValueInfoProto.name = 1, .type = 2; TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1,
 * .shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1, .dim_param = 2.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** One graph input or output, in the form onnxruntime-node's session metadata uses. */
export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  /** onnxruntime-node's type name (`float32`, `int64`, ...), or `elem_type <n>` for others. */
  type?: string;
  /** Fixed sizes as numbers, symbolic ones by name; undefined when the file states no shape. */
  shape?: Array<number | string>;
}

/** A graph's inputs and outputs, in file order. */
export interface OnnxFileSignature {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** onnx.TensorProto.DataType -> onnxruntime-node `Tensor.Type`. */
const TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64',
};
const GRAPH = 7;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
/** Bytes read at a time while walking field headers. */
const WINDOW_BYTES = 64 * 1024;
/** A graph input or output description larger than this is not one. */
const MAX_VALUE_INFO_BYTES = 1 << 20;

/** Reads a file at positions through one window, so walking many small headers costs few reads. */
class PositionedReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  byte(at: number): number {
    if (at >= this.size) throw new Error('ends inside a field header (truncated?)');
    if (at < this.windowStart || at >= this.windowStart + this.window.length) {
      this.window = Buffer.alloc(Math.min(WINDOW_BYTES, this.size - at));
      this.windowStart = at;
      readSync(this.fd, this.window, 0, this.window.length, at);
    }
    return this.window[at - this.windowStart]!;
  }

  bytes(at: number, length: number): Uint8Array {
    const out = Buffer.alloc(length);
    readSync(this.fd, out, 0, length, at);
    return out;
  }
}

type Source = { byte(at: number): number; size: number };

/** A varint at `at`: its value and the position after it. */
function varint(src: Source, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = src.byte(at++);
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, at];
    scale *= 128;
  }
  throw new Error('malformed number');
}

interface FieldAt {
  number: number;
  wireType: number;
  /** Varint value, or the length of a length-delimited field. */
  value: number;
  /** Where a length-delimited field's bytes start. */
  start: number;
  /** Position after the field. */
  end: number;
}

/** Each field of the message in [from, to), by header only; throws when one runs past `to`. */
function* fieldsIn(src: Source, from: number, to: number): Generator<FieldAt> {
  let at = from;
  while (at < to) {
    const [key, afterKey] = varint(src, at);
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (number === 0) throw new Error('not an ONNX model (field 0)');
    let value = 0;
    let start = afterKey;
    let end: number;
    switch (wireType) {
      case 0:
        [value, end] = varint(src, afterKey);
        break;
      case 1:
        end = afterKey + 8;
        break;
      case 5:
        end = afterKey + 4;
        break;
      case 2:
        [value, start] = varint(src, afterKey);
        end = start + value;
        break;
      default:
        throw new Error(`not an ONNX model (wire type ${wireType})`);
    }
    if (end > to) throw new Error(`field ${number} runs past the end of the file (truncated?)`);
    yield { number, wireType, value, start, end };
    at = end;
  }
}

/** A whole small message held in memory, as a Source. */
function memory(bytes: Uint8Array): Source {
  return {
    size: bytes.length,
    byte: (at) => {
      if (at >= bytes.length) throw new Error('ends inside a value (truncated?)');
      return bytes[at]!;
    },
  };
}

function subFields(bytes: Uint8Array, field: FieldAt): Uint8Array {
  return bytes.subarray(field.start, field.end);
}

function valueInfo(bytes: Uint8Array): OnnxValueInfo {
  const src = memory(bytes);
  const info: OnnxValueInfo = { name: '', isTensor: false };
  for (const f of fieldsIn(src, 0, bytes.length)) {
    if (f.number === 1 && f.wireType === 2) info.name = new TextDecoder('utf-8', { fatal: true }).decode(subFields(bytes, f));
    if (f.number !== 2 || f.wireType !== 2) continue;
    const type = subFields(bytes, f);
    for (const t of fieldsIn(memory(type), 0, type.length)) {
      if (t.number !== 1 || t.wireType !== 2) continue;
      info.isTensor = true;
      const tensor = subFields(type, t);
      for (const field of fieldsIn(memory(tensor), 0, tensor.length)) {
        if (field.number === 1 && field.wireType === 0) info.type = TYPE_NAMES[field.value] ?? `elem_type ${field.value}`;
        if (field.number === 2 && field.wireType === 2) info.shape = dims(subFields(tensor, field));
      }
    }
  }
  return info;
}

function dims(shape: Uint8Array): Array<number | string> {
  const out: Array<number | string> = [];
  for (const d of fieldsIn(memory(shape), 0, shape.length)) {
    if (d.number !== 1 || d.wireType !== 2) continue;
    const dim = subFields(shape, d);
    let size: number | string = '?';
    for (const f of fieldsIn(memory(dim), 0, dim.length)) {
      if (f.number === 1 && f.wireType === 0) size = f.value;
      if (f.number === 2 && f.wireType === 2) size = new TextDecoder().decode(subFields(dim, f));
    }
    out.push(size);
  }
  return out;
}

/** The graph's inputs and outputs; throws with a reason when the file is not a complete ONNX model. */
export function readOnnxFileSignature(path: string): OnnxFileSignature {
  const fd = openSync(path, 'r');
  try {
    const src = new PositionedReader(fd, fstatSync(fd).size);
    if (src.size === 0) throw new Error('the file is empty');
    let graph: FieldAt | undefined;
    // The whole top level is walked, so a cut anywhere in it (the weights included) is found.
    for (const f of fieldsIn(src, 0, src.size)) if (f.number === GRAPH && f.wireType === 2) graph = f;
    if (!graph) throw new Error('not an ONNX model (no graph)');
    const signature: OnnxFileSignature = { inputs: [], outputs: [] };
    for (const f of fieldsIn(src, graph.start, graph.end)) {
      if ((f.number !== GRAPH_INPUT && f.number !== GRAPH_OUTPUT) || f.wireType !== 2) continue;
      if (f.value > MAX_VALUE_INFO_BYTES) throw new Error('not an ONNX model (a graph input is implausibly large)');
      (f.number === GRAPH_INPUT ? signature.inputs : signature.outputs).push(valueInfo(src.bytes(f.start, f.value)));
    }
    return signature;
  } finally {
    closeSync(fd);
  }
}

/** The one float32 input and one float32 output of a single-tensor export (the separation models); throws `damaged(why)` otherwise. */
export function singleFloat32Io(path: string, damaged: (why: string) => Error): { input: OnnxValueInfo; output: OnnxValueInfo } {
  let sig;
  try {
    sig = readOnnxFileSignature(path);
  } catch (error) {
    throw damaged(error instanceof Error ? error.message : String(error));
  }
  const [input] = sig.inputs;
  const [output] = sig.outputs;
  if (sig.inputs.length !== 1 || sig.outputs.length !== 1 || input?.type !== 'float32' || output?.type !== 'float32') {
    throw damaged(`expected one float32 input and one float32 output, found ${sig.inputs.length} and ${sig.outputs.length}`);
  }
  return { input, output };
}
