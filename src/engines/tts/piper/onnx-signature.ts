/**
 * Reads an ONNX file's graph inputs and outputs (name, element type, rank) straight from its
 * protobuf bytes, without building an inference session: the main thread checks every voice
 * this way when it finds it, so a truncated, corrupt or mismatched file is reported at once
 * (and costs one read of the file, no native memory), while sessions are only created by the
 * workers that speak with the voice.
 *
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.input = 11, .output = 12;
 * ValueInfoProto.name = 1, .type = 2; TypeProto.tensor_type = 1; TypeProto.Tensor.elem_type = 1,
 * .shape = 2; TensorShapeProto.dim = 1.
 */

export interface TensorSignature {
  name: string;
  /** onnx.TensorProto.DataType: 1 float, 7 int64. */
  elemType: number;
  /** Null when the file states no shape. */
  rank: number | null;
}

export interface GraphSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** One protobuf field: its number, and its value (a number for varints, bytes for length-delimited). */
type Field = { number: number; varint: number } | { number: number; bytes: Uint8Array };

/** Every field of one message; throws on bytes that are not a well-formed message (truncation included). */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error('ends inside a number (truncated?)');
      const byte = buf[pos++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error('malformed number');
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wireType = key % 8;
    if (number === 0) throw new Error('not an ONNX model (field 0)');
    switch (wireType) {
      case 0:
        out.push({ number, varint: varint() });
        break;
      case 1:
      case 5: {
        pos += wireType === 1 ? 8 : 4;
        if (pos > buf.length) throw new Error('ends inside a value (truncated?)');
        break;
      }
      case 2: {
        const length = varint();
        if (pos + length > buf.length) throw new Error('ends inside a field (truncated?)');
        out.push({ number, bytes: buf.subarray(pos, pos + length) });
        pos += length;
        break;
      }
      default:
        throw new Error(`not an ONNX model (wire type ${wireType})`);
    }
  }
  return out;
}

function bytesOf(list: Field[], number: number): Uint8Array[] {
  return list.flatMap((f) => ('bytes' in f && f.number === number ? [f.bytes] : []));
}

function valueInfo(buf: Uint8Array): TensorSignature {
  const info = fields(buf);
  const name = new TextDecoder('utf-8', { fatal: true }).decode(bytesOf(info, 1)[0] ?? new Uint8Array());
  const tensorType = bytesOf(info, 2).flatMap((type) => bytesOf(fields(type), 1))[0];
  if (tensorType === undefined) return { name, elemType: 0, rank: null };
  const tensor = fields(tensorType);
  const elem = tensor.find((f) => f.number === 1 && 'varint' in f);
  const shape = bytesOf(tensor, 2)[0];
  return {
    name,
    elemType: elem && 'varint' in elem ? elem.varint : 0,
    rank: shape === undefined ? null : bytesOf(fields(shape), 1).length,
  };
}

/** The graph's inputs and outputs; throws with a reason when the bytes are no complete ONNX model. */
export function readGraphSignature(model: Uint8Array): GraphSignature {
  if (model.length === 0) throw new Error('the file is empty');
  const graph = bytesOf(fields(model), 7)[0];
  if (graph === undefined) throw new Error('not an ONNX model (no graph)');
  const graphFields = fields(graph);
  return {
    inputs: bytesOf(graphFields, 11).map(valueInfo),
    outputs: bytesOf(graphFields, 12).map(valueInfo),
  };
}
