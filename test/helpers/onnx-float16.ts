/** Rewrites a float32 test model into the float16-at-the-edges form the `_fp16` exports have. */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const intAttr = (name: string, i: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

/**
 * The same graph with float16 inputs and outputs, as the `_fp16` exports have: each float input
 * is cast to float32 where it enters, each float output cast to float16 where it leaves (the
 * arithmetic stays float32, which is all the adapter can tell apart).
 */
export function withFloat16Io(bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const graph = m.graph!;
  const rename = (nodes: OnnxTypes.INodeProto[], from: string, to: string, outputsToo: boolean): void => {
    for (const node of nodes) {
      node.input = (node.input ?? []).map((n) => (n === from ? to : n));
      if (outputsToo) node.output = (node.output ?? []).map((n) => (n === from ? to : n));
      for (const a of node.attribute ?? []) {
        if (!a.g) continue;
        // Subgraphs (If branches) read outer values by name; their own outputs keep theirs.
        rename(a.g.node ?? [], from, to, false);
      }
    }
  };
  const casts: OnnxTypes.INodeProto[] = [];
  for (const input of graph.input ?? []) {
    if (input.type?.tensorType?.elemType !== DataType.FLOAT) continue;
    rename(graph.node ?? [], input.name!, `${input.name}__f32`, false);
    casts.push({ opType: 'Cast', input: [input.name!], output: [`${input.name}__f32`], name: `${input.name}__cast`, attribute: [intAttr('to', DataType.FLOAT)] });
    input.type.tensorType.elemType = DataType.FLOAT16;
  }
  const tail: OnnxTypes.INodeProto[] = [];
  for (const output of graph.output ?? []) {
    if (output.type?.tensorType?.elemType !== DataType.FLOAT) continue;
    rename(graph.node ?? [], output.name!, `${output.name}__f32`, true);
    tail.push({ opType: 'Cast', input: [`${output.name}__f32`], output: [output.name!], name: `${output.name}__cast`, attribute: [intAttr('to', DataType.FLOAT16)] });
    output.type.tensorType.elemType = DataType.FLOAT16;
  }
  graph.node = [...casts, ...(graph.node ?? []), ...tail];
  return onnx.ModelProto.encode(m).finish();
}
