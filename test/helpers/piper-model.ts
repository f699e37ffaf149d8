/**
 * Tiny stand-ins for published Piper voices: ONNX models with exactly the inputs and output of
 * Piper's export (`input` int64 [1, n], `input_lengths` int64 [1], `scales` float32 [3], `sid`
 * int64 [1] when multi-speaker; `output` float32 [1, 1, 1, samples]), written with a matching
 * `.onnx.json`. Instead of speech, the graph makes a sine wave whose length follows the phoneme
 * ids (SAMPLES_PER_ID per id, times length_scale, as VITS's durations scale) and whose pitch
 * follows the speaker id (TONE_HZ × (sid + 1)), so tests can measure both in the audio.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

export const TINY_SAMPLE_RATE_HZ = 22_050;
export const SAMPLES_PER_ID = 256;
export const TONE_HZ = 220;

/** The handful of `phoneme_id_map` entries of Piper's published espeak voices these tests use. */
export const TINY_PHONEME_ID_MAP: Record<string, number[]> = {
  _: [0], '^': [1], $: [2], ' ': [3], '!': [4], ',': [8], '.': [10], '?': [13],
  a: [14], b: [15], d: [17], e: [18], h: [20], i: [21], k: [23], l: [24], m: [25], n: [26], o: [27],
  p: [28], s: [31], t: [32], u: [33], v: [34], w: [35], z: [38],
  'ɑ': [51], 'ɐ': [50], 'ɔ': [54], 'ə': [59], 'ɛ': [61], 'ɚ': [60], 'ɜ': [62], 'ɪ': [74], 'ɹ': [88],
  'ʃ': [96], 'ʊ': [100], 'ʌ': [102], 'ð': [41], 'θ': [126], 'ŋ': [44], 'ɡ': [66], 'ʒ': [108],
  'ˈ': [120], 'ˌ': [121], 'ː': [122], 'æ': [39], 'ɾ': [92], 'ɒ': [52], 'ɫ': [75], 'ʔ': [110],
};

// The package is CommonJS; its namespace is the default export under ESM.
const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

function tensorInput(name: string, elemType: number, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function node(opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): OnnxTypes.INodeProto {
  return { opType, input, output: [output], name: output, attribute };
}

function toType(to: number): OnnxTypes.IAttributeProto {
  return { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to };
}

function floatConst(name: string, values: number[], dims: number[]): OnnxTypes.ITensorProto {
  return { name, dataType: DataType.FLOAT, dims, floatData: values };
}

function int64Const(name: string, values: number[], dims: number[]): OnnxTypes.ITensorProto {
  return { name, dataType: DataType.INT64, dims, int64Data: values };
}

/** The bytes of a Piper-shaped ONNX model; `multiSpeaker` adds the `sid` input. */
export function tinyPiperModel(multiSpeaker: boolean): Uint8Array {
  const omega = (2 * Math.PI * TONE_HZ) / TINY_SAMPLE_RATE_HZ;
  const nodes: OnnxTypes.INodeProto[] = [
    node('Cast', ['input_lengths'], 'length_f', [toType(DataType.FLOAT)]),
    node('Gather', ['scales', 'one'], 'length_scale'),
    node('Mul', ['length_f', 'length_scale'], 'scaled_length'),
    node('Mul', ['scaled_length', 'samples_per_id'], 'samples_f'),
    node('Floor', ['samples_f'], 'samples_floor'),
    node('Cast', ['samples_floor'], 'samples_1', [toType(DataType.INT64)]),
    node('Squeeze', ['samples_1'], 'samples'),
    node('Range', ['zero', 'samples', 'one'], 'index'),
    node('Cast', ['index'], 'index_f', [toType(DataType.FLOAT)]),
  ];
  if (multiSpeaker) {
    nodes.push(
      node('Cast', ['sid'], 'sid_f', [toType(DataType.FLOAT)]),
      node('Add', ['sid_f', 'one_f'], 'harmonic'),
      node('Mul', ['harmonic', 'omega'], 'step'),
      node('Mul', ['index_f', 'step'], 'phase'),
    );
  } else {
    nodes.push(node('Mul', ['index_f', 'omega'], 'phase'));
  }
  nodes.push(
    node('Sin', ['phase'], 'sine'),
    node('Mul', ['sine', 'amplitude'], 'wave'),
    node('Reshape', ['wave', 'output_shape'], 'output'),
  );
  const inputs = [
    tensorInput('input', DataType.INT64, [1, 'phonemes']),
    tensorInput('input_lengths', DataType.INT64, [1]),
    tensorInput('scales', DataType.FLOAT, [3]),
  ];
  if (multiSpeaker) inputs.push(tensorInput('sid', DataType.INT64, [1]));
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: 'tiny-piper',
      node: nodes,
      initializer: [
        int64Const('zero', [0], []),
        int64Const('one', [1], []),
        ...(multiSpeaker ? [floatConst('one_f', [1], [1])] : []),
        floatConst('samples_per_id', [SAMPLES_PER_ID], [1]),
        floatConst('omega', [omega], [1]),
        floatConst('amplitude', [0.5], []),
        int64Const('output_shape', [1, 1, 1, -1], [4]),
      ],
      input: inputs,
      output: [tensorInput('output', DataType.FLOAT, [1, 1, 1, 'time'])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/**
 * A model whose bytes and signature are a Piper voice's but which onnxruntime cannot load
 * (one node uses an operator that does not exist): only a worker's session creation finds it.
 */
export function unloadablePiperModel(): Uint8Array {
  const model = onnx.ModelProto.decode(tinyPiperModel(false));
  model.graph!.node!.push(onnx.NodeProto.create({ opType: 'NoSuchPiperOp', input: ['sine'], output: ['unused'], name: 'unused' }));
  return onnx.ModelProto.encode(model).finish();
}

export interface TinyVoiceOptions {
  /** Speaker names to ids; more than one makes a multi-speaker voice with the `sid` input. */
  speakers?: Record<string, number>;
  lengthScale?: number;
  espeakVoice?: string;
  languageCode?: string;
}

/** The `.onnx.json` a published voice ships, with the fields Piper reads. */
export function tinyPiperConfig(opts: TinyVoiceOptions = {}): Record<string, unknown> {
  const speakers = opts.speakers ?? {};
  const numSpeakers = Math.max(1, Object.keys(speakers).length);
  return {
    audio: { sample_rate: TINY_SAMPLE_RATE_HZ, quality: 'medium' },
    espeak: { voice: opts.espeakVoice ?? 'en-us' },
    language: { code: opts.languageCode ?? 'en_US', family: 'en', region: 'US', name_native: 'English', name_english: 'English' },
    inference: { noise_scale: 0.667, length_scale: opts.lengthScale ?? 1, noise_w: 0.8 },
    phoneme_type: 'espeak',
    phoneme_map: {},
    phoneme_id_map: TINY_PHONEME_ID_MAP,
    num_symbols: 256,
    num_speakers: numSpeakers,
    speaker_id_map: speakers,
    piper_version: '1.0.0',
  };
}

/** Writes `<dir>/<name>.onnx` and `<name>.onnx.json`. */
export async function writeTinyVoice(dir: string, name: string, opts: TinyVoiceOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const multi = Object.keys(opts.speakers ?? {}).length > 1;
  await writeFile(join(dir, `${name}.onnx`), tinyPiperModel(multi));
  await writeFile(join(dir, `${name}.onnx.json`), JSON.stringify(tinyPiperConfig(opts)));
}
