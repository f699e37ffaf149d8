/**
 * Tiny stand-ins for the three F5-TTS ONNX graphs of DakeQQ/F5-TTS-ONNX, with the export's input
 * and output names, types and ranks (src/engines/voice/f5-tts.ts), computing something checkable:
 * - preprocess: noise = mean |audio| / 32768 everywhere in [1, max_duration, 100]; cat_mel_text =
 *   the mean text id everywhere; rope tensors zeros; ref_signal_len = samples / 256 + 1;
 * - transformer: denoised = noise + cat_mel_text / 32, time_step + 1 (so 32 steps add the mean id);
 * - decode: the frames after ref_signal_len, flattened, times 100, as int16 [1, 1, samples].
 * The output's value is then 100 · (reference level + mean text id), its length
 * (max_duration − ref_signal_len) · 100: it depends on the reference, the text and the step count.
 */
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

export const TINY_F5_MELS = 100;

function info(name: string, elemType: number, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

const ints = (name: string, values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [values.length], int64Data: values });
const scalarInt = (name: string, v: number): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [], int64Data: [v] });
const float = (name: string, v: number): OnnxTypes.ITensorProto => ({ name, dataType: DataType.FLOAT, dims: [], floatData: [v] });
const cast = (input: string, output: string, to: number): OnnxTypes.INodeProto => ({ opType: 'Cast', input: [input], output: [output], attribute: [{ name: 'to', type: AttributeType.INT, i: to }] });
const zeros = (shape: string, output: string): OnnxTypes.INodeProto => ({
  opType: 'ConstantOfShape', input: [shape], output: [output],
  attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { dataType: DataType.FLOAT, dims: [1], floatData: [0] } }],
});

function encode(name: string, graph: Omit<OnnxTypes.IGraphProto, 'name'>): Uint8Array {
  const model: OnnxTypes.IModelProto = { irVersion: 8, producerName: 'llais-test', opsetImport: [{ domain: '', version: 17 }], graph: { name, ...graph } };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export function tinyF5Models(): { preprocess: Uint8Array; transformer: Uint8Array; decode: Uint8Array } {
  const preprocess = encode('tiny-f5-preprocess', {
    node: [
      cast('audio', 'af', DataType.FLOAT),
      { opType: 'Abs', input: ['af'], output: ['aa'] },
      { opType: 'ReduceMean', input: ['aa'], output: ['level'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: 1 }] },
      { opType: 'Div', input: ['level', 'full_scale'], output: ['ref_level'] },
      cast('text_ids', 'tf', DataType.FLOAT),
      { opType: 'ReduceMean', input: ['tf'], output: ['text_level'], attribute: [{ name: 'keepdims', type: AttributeType.INT, i: 1 }] },
      { opType: 'Reshape', input: ['max_duration', 'one_dim'], output: ['md'] },
      { opType: 'Concat', input: ['one', 'md', 'mels'], output: ['mel_shape'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }] },
      zeros('mel_shape', 'base'),
      { opType: 'Add', input: ['base', 'ref_level'], output: ['noise'] },
      { opType: 'Add', input: ['base', 'text_level'], output: ['cat_mel_text'] },
      zeros('mel_shape', 'cat_mel_text_drop'),
      { opType: 'Concat', input: ['two', 'one', 'md', 'two'], output: ['rope_shape'], attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }] },
      zeros('rope_shape', 'rope_cos'),
      zeros('rope_shape', 'rope_sin'),
      { opType: 'Shape', input: ['audio'], output: ['audio_shape'] },
      { opType: 'Gather', input: ['audio_shape', 'samples_axis'], output: ['samples'] },
      { opType: 'Div', input: ['samples', 'hop'], output: ['frames'] },
      { opType: 'Add', input: ['frames', 'one_scalar'], output: ['ref_signal_len'] },
    ],
    initializer: [float('full_scale', 32768), ints('one_dim', [1]), ints('one', [1]), ints('two', [2]), ints('mels', [TINY_F5_MELS]), scalarInt('samples_axis', 2), scalarInt('hop', 256), scalarInt('one_scalar', 1)],
    input: [info('audio', DataType.INT16, [1, 1, 'audio_len']), info('text_ids', DataType.INT32, [1, 'text_ids_len']), info('max_duration', DataType.INT64, [])],
    output: [
      info('noise', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('rope_cos', DataType.FLOAT, [2, 1, 'max_duration', 2]),
      info('rope_sin', DataType.FLOAT, [2, 1, 'max_duration', 2]),
      info('cat_mel_text', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('cat_mel_text_drop', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('ref_signal_len', DataType.INT64, []),
    ],
  });
  const transformer = encode('tiny-f5-transformer', {
    node: [
      { opType: 'Mul', input: ['cat_mel_text', 'dt'], output: ['velocity'] },
      { opType: 'Add', input: ['noise', 'velocity'], output: ['denoised'] },
      { opType: 'Add', input: ['time_step', 'step'], output: ['next_time_step'] },
    ],
    initializer: [float('dt', 1 / 32), { name: 'step', dataType: DataType.INT32, dims: [1], int32Data: [1] }],
    input: [
      info('noise', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('rope_cos', DataType.FLOAT, [2, 1, 'max_duration', 2]),
      info('rope_sin', DataType.FLOAT, [2, 1, 'max_duration', 2]),
      info('cat_mel_text', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('cat_mel_text_drop', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]),
      info('time_step', DataType.INT32, [1]),
    ],
    output: [info('denoised', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]), info('next_time_step', DataType.INT32, [1])],
  });
  const decode = encode('tiny-f5-decode', {
    node: [
      { opType: 'Reshape', input: ['ref_signal_len', 'one_dim'], output: ['start'] },
      { opType: 'Slice', input: ['denoised', 'start', 'end', 'axis'], output: ['generated'] },
      { opType: 'Reshape', input: ['generated', 'flat'], output: ['wave'] },
      { opType: 'Mul', input: ['wave', 'scale'], output: ['scaled'] },
      cast('scaled', 'output_audio', DataType.INT16),
    ],
    initializer: [ints('one_dim', [1]), ints('end', [1_000_000]), ints('axis', [1]), ints('flat', [1, 1, -1]), float('scale', 100)],
    input: [info('denoised', DataType.FLOAT, [1, 'max_duration', TINY_F5_MELS]), info('ref_signal_len', DataType.INT64, [])],
    output: [info('output_audio', DataType.INT16, [1, 1, 'generated_len'])],
  });
  return { preprocess, transformer, decode };
}
