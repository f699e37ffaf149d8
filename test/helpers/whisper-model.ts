/**
 * Tiny stand-ins for a published Whisper ONNX export (onnx-community / optimum layout): an
 * encoder and a decoder with exactly the real input/output names, element types and ranks
 * (`input_features` → `last_hidden_state`; `input_ids`, `encoder_hidden_states`,
 * `past_key_values.{i}.{decoder,encoder}.{key,value}`, `use_cache_branch` → `logits`,
 * `present.*`, optionally `cross_attentions.*`), as a merged decoder (an `If` on
 * `use_cache_branch`, like optimum's merge) or as the older decoder / decoder-with-past pair,
 * written with config.json, generation_config.json and a byte-level tokenizer.json.
 *
 * The decoder is a real two-layer attention network at toy width: causal self-attention over
 * the cache plus the new tokens, cross-attention over the encoder output. Its logits are that
 * network's output (small) plus a table indexed by position, which scripts what greedy decoding
 * emits: `<|0.00|> Hello world.<|1.00|><|endoftext|>` after a three-token prompt. So the cache
 * and the audio really flow into the logits (feeding tokens one by one must equal feeding them
 * at once), while the transcript is known in advance.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { WHISPER_LANGUAGES } from '../../src/engines/stt/whisper/languages.js';
import { withFloat16Io } from './onnx-float16.js';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

export const TINY_LAYERS = 2;
export const TINY_HEADS = 2;
export const TINY_HEAD_DIM = 4;
export const TINY_D_MODEL = TINY_HEADS * TINY_HEAD_DIM;
export const TINY_N_MELS = 80;
export const TINY_AUDIO_CTX = 1500;
export const TINY_TEXT_CTX = 448;
/** The text the scripted table makes greedy decoding emit, and the time its segment ends. */
export const TINY_TEXT = ' Hello world.';
export const TINY_SEGMENT_END_S = 1;

/** GPT-2's bytes_to_unicode: byte b → the printable character byte-level BPE writes it as. */
function byteSymbols(): string[] {
  const printable = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(printable(b) ? b : 256 + n++));
  return out;
}

const SYMBOLS = byteSymbols();
const SPACE = SYMBOLS[32]!;
/** A space joined to each letter, `-` and `'` (as the real vocabulary has), so a blank is not a suppressed symbol. */
const JOINED = [..."-'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];

/** The tiny vocabulary: bytes 0..255, then the joined pairs; `<|endoftext|>` right after. */
export const TINY_EOT = 256 + JOINED.length;
export const TINY_NUM_LANGUAGES = 99;
export const TINY_VOCAB_SIZE = TINY_EOT + 2 + TINY_NUM_LANGUAGES + 6 + 1501;
const SOT = TINY_EOT + 1;
const TIMESTAMP_BEGIN = SOT + 1 + TINY_NUM_LANGUAGES + 6;
const LANGUAGE_ID = (code: string): number => SOT + 1 + WHISPER_LANGUAGES.findIndex(([c]) => c === code);

/** The tokens of `text` in the tiny vocabulary (a space joins the letter after it). */
export function tinyTokens(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  const ids: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const next = bytes[i + 1] === undefined ? -1 : JOINED.indexOf(String.fromCharCode(bytes[i + 1]!));
    if (bytes[i] === 32 && next >= 0) {
      ids.push(256 + next);
      i++;
    } else ids.push(bytes[i]!);
  }
  return ids;
}

export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  SYMBOLS.forEach((s, b) => (vocab[s] = b));
  JOINED.forEach((c, i) => (vocab[SPACE + SYMBOLS[c.charCodeAt(0)]!] = 256 + i));
  const specials = ['<|endoftext|>', '<|startoftranscript|>', ...WHISPER_LANGUAGES.slice(0, TINY_NUM_LANGUAGES).map(([c]) => `<|${c}|>`)];
  specials.push('<|translate|>', '<|transcribe|>', '<|startoflm|>', '<|startofprev|>', '<|nocaptions|>', '<|notimestamps|>');
  return {
    version: '1.0',
    added_tokens: specials.map((content, i) => ({ id: TINY_EOT + i, content, special: true })),
    model: { type: 'BPE', vocab, merges: JOINED.map((c) => `${SPACE} ${SYMBOLS[c.charCodeAt(0)]}`) },
  };
}

/** What the table scripts after `[sot, language, task]`: position → the token to emit next. */
function script(): number[] {
  return [TIMESTAMP_BEGIN, ...tinyTokens(TINY_TEXT), TIMESTAMP_BEGIN + TINY_SEGMENT_END_S / 0.02, TINY_EOT];
}

/** Small deterministic weights (a linear congruential sequence in [-scale, scale]). */
function weights(count: number, seed: number, scale: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: count }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x / 2 ** 32) * 2 - 1) * scale;
  });
}

type Dim = number | string;
const info = (name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});
const floats = (name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: DataType.FLOAT, dims, floatData: values });
const ints = (name: string, values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [values.length], int64Data: values });
const scalar = (name: string, value: number): OnnxTypes.ITensorProto => ({ name, dataType: DataType.INT64, dims: [], int64Data: [value] });
const intAttr = (name: string, i: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const intsAttr = (name: string, values: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });

/** Collects nodes; each helper returns its output's name. */
class Graph {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  private n = 0;
  op(opType: string, input: string[], attribute: OnnxTypes.IAttributeProto[] = [], output = `${opType.toLowerCase()}_${this.n++}`): string {
    this.nodes.push({ opType, input, output: [output], name: output, attribute });
    return output;
  }
}

/** `x` [b, t, d] → [b, heads, t, headDim]. */
function splitHeads(g: Graph, x: string): string {
  return g.op('Transpose', [g.op('Reshape', [x, 'heads_shape'])], [intsAttr('perm', [0, 2, 1, 3])]);
}

const scale = (): OnnxTypes.ITensorProto => floats('attn_scale', [], [1 / Math.sqrt(TINY_HEAD_DIM)]);

export interface TinyWhisperOptions {
  /** `merged` (decoder_model_merged.onnx) or `pair` (decoder_model.onnx + decoder_with_past_model.onnx). */
  layout?: 'merged' | 'pair';
  /** Adds `cross_attentions.{i}` outputs and `alignment_heads` (word timestamps by alignment). */
  crossAttentions?: boolean;
  /** File suffix of the precision written (`''` float32, `_quantized`, ...); the graphs are float32 inside. */
  suffix?: string;
  /** Float16 inputs and outputs (see withFloat16Io), as the `_fp16` exports. */
  float16?: boolean;
}

/** The encoder: [b, 80, 3000] → pairs of frames, a linear map and tanh → [b, 1500, d]. */
export function tinyEncoder(): Uint8Array {
  const g = new Graph();
  const t = g.op('Transpose', ['input_features'], [intsAttr('perm', [0, 2, 1])]);
  const pairs = g.op('Reshape', [t, 'pair_shape']);
  g.op('Tanh', [g.op('MatMul', [pairs, 'enc_w'])], [], 'last_hidden_state');
  return model('tiny-whisper-encoder', g, [info('input_features', DataType.FLOAT, ['batch_size', TINY_N_MELS, 3000])], [info('last_hidden_state', DataType.FLOAT, ['batch_size', 'encoder_sequence_length / 2', TINY_D_MODEL])], [
    ints('pair_shape', [0, TINY_AUDIO_CTX, 2 * TINY_N_MELS]),
    floats('enc_w', [2 * TINY_N_MELS, TINY_D_MODEL], weights(2 * TINY_N_MELS * TINY_D_MODEL, 7, 0.3)),
  ]);
}

function model(name: string, g: Graph, input: OnnxTypes.IValueInfoProto[], output: OnnxTypes.IValueInfoProto[], initializer: OnnxTypes.ITensorProto[]): Uint8Array {
  const used = new Set<string>();
  const visit = (nodes: OnnxTypes.INodeProto[]): void => {
    for (const node of nodes) {
      for (const name of node.input ?? []) used.add(name);
      for (const a of node.attribute ?? []) if (a.g) visit(a.g.node ?? []);
    }
  };
  visit(g.nodes);
  const proto: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'llais-test',
    opsetImport: [{ domain: '', version: 17 }],
    // Only what the nodes (and the If branches) read: onnxruntime warns about the rest.
    graph: { name, node: g.nodes, initializer: initializer.filter((t) => used.has(t.name!)), input, output },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

/** Cross keys/values of layer `i` computed from the encoder output (the first step's way). */
function crossFromEncoder(g: Graph, i: number, part: 'key' | 'value', output?: string): string {
  const projected = g.op('MatMul', ['encoder_hidden_states', `cross_${part}_w${i}`]);
  const heads = g.op('Reshape', [projected, 'heads_shape']);
  return g.op('Transpose', [heads], [intsAttr('perm', [0, 2, 1, 3])], output);
}

type DecoderKind = 'merged' | 'first' | 'with-past';

/** One decoder graph: merged (both branches), a pair's first-step graph, or its with-past graph. */
export function tinyDecoder(kind: DecoderKind, crossAttentions: boolean): Uint8Array {
  const g = new Graph();
  const hasPast = kind !== 'first';
  const pastLen = hasPast ? g.op('Gather', [g.op('Shape', ['past_key_values.0.decoder.key']), 'two'], [intAttr('axis', 0)]) : 'zero';
  const newLen = g.op('Gather', [g.op('Shape', ['input_ids']), 'one'], [intAttr('axis', 0)]);
  const total = g.op('Add', [pastLen, newLen]);
  const positions = g.op('Range', [pastLen, total, 'one']);
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [g.op('Range', ['zero', total, 'one']), 'axis0']), g.op('Unsqueeze', [positions, 'axis1'])]);

  // Cross keys/values: computed from the encoder on the first step, fed back after it.
  const cross: Record<string, string> = {};
  if (kind === 'merged') {
    const computed = new Graph();
    const passed = new Graph();
    const outs: OnnxTypes.IValueInfoProto[] = [];
    for (let i = 0; i < TINY_LAYERS; i++) {
      for (const part of ['key', 'value'] as const) {
        const name = `cross_${part}_${i}`;
        crossFromEncoder(computed, i, part, name);
        passed.op('Identity', [`past_key_values.${i}.encoder.${part}`], [], name);
        outs.push(info(name, DataType.FLOAT, ['batch_size', TINY_HEADS, 'encoder_sequence_length_out', TINY_HEAD_DIM]));
      }
    }
    const branch = (sub: Graph, name: string): OnnxTypes.IAttributeProto => ({
      name,
      type: onnx.AttributeProto.AttributeType.GRAPH,
      g: { name, node: sub.nodes, output: outs },
    });
    g.nodes.push({ opType: 'If', input: ['use_cache_branch'], output: outs.map((o) => o.name!), name: 'optimum::if', attribute: [branch(passed, 'then_branch'), branch(computed, 'else_branch')] });
    for (const o of outs) cross[o.name!] = o.name!;
  } else {
    for (let i = 0; i < TINY_LAYERS; i++) {
      for (const part of ['key', 'value'] as const) {
        cross[`cross_${part}_${i}`] = kind === 'first' ? crossFromEncoder(g, i, part) : `past_key_values.${i}.encoder.${part}`;
      }
    }
  }

  let h = g.op('Gather', ['embed', 'input_ids'], [intAttr('axis', 0)]);
  for (let i = 0; i < TINY_LAYERS; i++) {
    const q = g.op('Mul', [splitHeads(g, g.op('MatMul', [h, `q_w${i}`])), 'attn_scale']);
    const selfKV: Record<string, string> = {};
    for (const part of ['key', 'value'] as const) {
      const fresh = splitHeads(g, g.op('MatMul', [h, `self_${part}_w${i}`]));
      const present = `present.${i}.decoder.${part}`;
      selfKV[part] = hasPast ? g.op('Concat', [`past_key_values.${i}.decoder.${part}`, fresh], [intAttr('axis', 2)], present) : g.op('Identity', [fresh], [], present);
    }
    const selfScores = g.op('MatMul', [q, g.op('Transpose', [selfKV.key!], [intsAttr('perm', [0, 1, 3, 2])])]);
    const masked = g.op('Where', [causal, selfScores, 'minus_inf']);
    const selfOut = g.op('MatMul', [g.op('Softmax', [masked], [intAttr('axis', -1)]), selfKV.value!]);
    const crossScores = g.op('MatMul', [q, g.op('Transpose', [cross[`cross_key_${i}`]!], [intsAttr('perm', [0, 1, 3, 2])])]);
    const crossWeights = g.op('Softmax', [crossScores], [intAttr('axis', -1)], crossAttentions ? `cross_attentions.${i}` : undefined);
    const crossOut = g.op('MatMul', [crossWeights, cross[`cross_value_${i}`]!]);
    const merged = g.op('Reshape', [g.op('Transpose', [g.op('Add', [selfOut, crossOut])], [intsAttr('perm', [0, 2, 1, 3])]), 'model_shape']);
    h = g.op('Add', [h, merged]);
    if (kind !== 'with-past') {
      for (const part of ['key', 'value'] as const) g.op('Identity', [cross[`cross_${part}_${i}`]!], [], `present.${i}.encoder.${part}`);
    }
  }
  const table = g.op('Gather', ['script_table', positions], [intAttr('axis', 0)]);
  g.op('Add', [g.op('MatMul', [h, 'out_w']), table], [], 'logits');

  const kv = (name: string, len: string): OnnxTypes.IValueInfoProto => info(name, DataType.FLOAT, ['batch_size', TINY_HEADS, len, TINY_HEAD_DIM]);
  const inputs = [info('input_ids', DataType.INT64, ['batch_size', 'decoder_sequence_length'])];
  if (kind !== 'with-past') inputs.push(info('encoder_hidden_states', DataType.FLOAT, ['batch_size', 'encoder_sequence_length / 2', TINY_D_MODEL]));
  const outputs = [info('logits', DataType.FLOAT, ['batch_size', 'decoder_sequence_length', TINY_VOCAB_SIZE])];
  for (let i = 0; i < TINY_LAYERS; i++) {
    for (const part of ['key', 'value']) {
      if (hasPast) inputs.push(kv(`past_key_values.${i}.decoder.${part}`, 'past_decoder_sequence_length'), kv(`past_key_values.${i}.encoder.${part}`, 'encoder_sequence_length_out'));
      outputs.push(kv(`present.${i}.decoder.${part}`, 'present_decoder_sequence_length'));
      if (kind !== 'with-past') outputs.push(kv(`present.${i}.encoder.${part}`, 'encoder_sequence_length_out'));
    }
    if (crossAttentions) outputs.push(info(`cross_attentions.${i}`, DataType.FLOAT, ['batch_size', TINY_HEADS, 'decoder_sequence_length', 'encoder_sequence_length_out']));
  }
  if (kind === 'merged') inputs.push(info('use_cache_branch', DataType.BOOL, [1]));
  return model(`tiny-whisper-decoder-${kind}`, g, inputs, outputs, decoderWeights());
}

function decoderWeights(): OnnxTypes.ITensorProto[] {
  const d = TINY_D_MODEL;
  const tensors = [
    scalar('zero', 0),
    scalar('one', 1),
    scalar('two', 2),
    ints('axis0', [0]),
    ints('axis1', [1]),
    ints('heads_shape', [0, -1, TINY_HEADS, TINY_HEAD_DIM]),
    ints('model_shape', [0, -1, d]),
    floats('minus_inf', [], [-1e9]),
    scale(),
    floats('embed', [TINY_VOCAB_SIZE, d], weights(TINY_VOCAB_SIZE * d, 11, 1)),
    floats('out_w', [d, TINY_VOCAB_SIZE], weights(d * TINY_VOCAB_SIZE, 13, 0.05)),
  ];
  for (let i = 0; i < TINY_LAYERS; i++) {
    for (const [k, name] of ['q_w', 'self_key_w', 'self_value_w', 'cross_key_w', 'cross_value_w'].entries()) {
      tensors.push(floats(`${name}${i}`, [d, d], weights(d * d, 100 + 10 * i + k, 0.5)));
    }
  }
  const table = new Array<number>(TINY_TEXT_CTX * TINY_VOCAB_SIZE).fill(0);
  // Logits at position p choose the token at p + 1: the prompt is three tokens, so the script starts at 2.
  script().forEach((token, k) => (table[(2 + k) * TINY_VOCAB_SIZE + token] = 20));
  // Language detection reads position 0 (after <|startoftranscript|>): English.
  table[LANGUAGE_ID('en')] = 20;
  tensors.push(floats('script_table', [TINY_TEXT_CTX, TINY_VOCAB_SIZE], table));
  return tensors;
}

export function tinyConfig(): Record<string, unknown> {
  return {
    architectures: ['WhisperForConditionalGeneration'],
    model_type: 'whisper',
    d_model: TINY_D_MODEL,
    decoder_attention_heads: TINY_HEADS,
    decoder_layers: TINY_LAYERS,
    encoder_attention_heads: TINY_HEADS,
    encoder_layers: 1,
    max_source_positions: TINY_AUDIO_CTX,
    max_target_positions: TINY_TEXT_CTX,
    num_mel_bins: TINY_N_MELS,
    vocab_size: TINY_VOCAB_SIZE,
  };
}

/** Writes the export into `dir` (`<models>/whisper-<size>/`). */
export async function writeTinyWhisper(dir: string, opts: TinyWhisperOptions = {}): Promise<void> {
  const suffix = opts.suffix ?? '';
  const crossAttentions = opts.crossAttentions ?? false;
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(tinyConfig()));
  await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ is_multilingual: true, alignment_heads: crossAttentions ? [[1, 0], [1, 1]] : [[1, 0]] }));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  const io = (bytes: Uint8Array): Uint8Array => (opts.float16 ? withFloat16Io(bytes) : bytes);
  await writeFile(join(dir, 'onnx', `encoder_model${suffix}.onnx`), io(tinyEncoder()));
  if ((opts.layout ?? 'merged') === 'merged') {
    await writeFile(join(dir, 'onnx', `decoder_model_merged${suffix}.onnx`), io(tinyDecoder('merged', crossAttentions)));
  } else {
    await writeFile(join(dir, 'onnx', `decoder_model${suffix}.onnx`), io(tinyDecoder('first', crossAttentions)));
    await writeFile(join(dir, 'onnx', `decoder_with_past_model${suffix}.onnx`), io(tinyDecoder('with-past', crossAttentions)));
  }
}
