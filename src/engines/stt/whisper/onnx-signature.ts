/**
 * Reads what a Whisper export's sessions take and give, from the sessions themselves rather than
 * from assumed sizes, and refuses graphs that are not the encoder/decoder the config describes.
 *
 * Names as optimum exports them (`optimum/exporters/onnx/model_configs.py`, WhisperOnnxConfig)
 * and transformers.js feeds them:
 * - encoder: `input_features` [batch, n_mels, 3000] → `last_hidden_state` [batch, 1500, d_model];
 * - decoder: `input_ids` int64 [batch, tokens], `encoder_hidden_states` [batch, 1500, d_model],
 *   `past_key_values.{i}.decoder.key|value` [batch, heads, past, head_dim],
 *   `past_key_values.{i}.encoder.key|value` [batch, heads, 1500, head_dim], `use_cache_branch`
 *   bool [1] (merged graphs only) → `logits` [batch, tokens, vocab], `present.{i}.decoder.*`,
 *   `present.{i}.encoder.*` (first step only; the with-past branch passes the cache through),
 *   and `cross_attentions.{i}` [batch, heads, tokens, 1500] in exports made with attentions.
 */
import type * as ort from 'onnxruntime-node';
import type { WhisperExportConfig } from './export-config.js';
import type { FloatType } from './onnx-tensors.js';

type Metadata = ort.InferenceSession.ValueMetadata;

/** What the adapter needs to know about the decoder graph(s). */
export interface DecoderSignature {
  layers: number;
  /** Heads and head size of the cache tensors. */
  heads: number;
  headDim: number;
  /** Element type of the cache and of `encoder_hidden_states`. */
  cacheType: FloatType;
  hiddenType: FloatType;
  /** The first-step graph takes `use_cache_branch` (a merged decoder). */
  useCacheBranch: boolean;
  /** The first-step graph outputs `cross_attentions.{i}` for every layer. */
  crossAttentions: boolean;
}

export interface EncoderSignature {
  featuresType: FloatType;
}

function byName(list: readonly Metadata[]): Map<string, Metadata> {
  return new Map(list.map((m) => [m.name, m]));
}

function floatType(m: Metadata | undefined, what: string): FloatType {
  if (!m || !m.isTensor || (m.type !== 'float32' && m.type !== 'float16')) throw new Error(`${what} is not a float32 or float16 tensor`);
  return m.type;
}

function shapeOf(m: Metadata | undefined): ReadonlyArray<number | string> {
  return m && m.isTensor ? m.shape : [];
}

/** A numeric dimension that disagrees with `want` is a mismatched file; a symbolic one is left to run time. */
function expectDim(m: Metadata | undefined, index: number, want: number, what: string): void {
  const dim = shapeOf(m)[index];
  if (typeof dim === 'number' && dim !== want) throw new Error(`${what} has ${dim} where the config says ${want}`);
}

export function encoderSignature(session: ort.InferenceSession, config: WhisperExportConfig): EncoderSignature {
  const inputs = byName(session.inputMetadata);
  const outputs = byName(session.outputMetadata);
  const features = inputs.get('input_features');
  if (!features) throw new Error(`the encoder has no input_features input (inputs: ${session.inputNames.join(', ')})`);
  if (!outputs.has('last_hidden_state')) throw new Error(`the encoder has no last_hidden_state output (outputs: ${session.outputNames.join(', ')})`);
  expectDim(features, 1, config.nMels, 'the encoder input_features mel bins');
  expectDim(outputs.get('last_hidden_state'), 2, config.dModel, 'the encoder output width');
  return { featuresType: floatType(features, 'input_features') };
}

/**
 * Checks the decoder graph(s): `first` runs the first step (merged, or `decoder_model`), `withPast`
 * the later ones (the same session for a merged decoder).
 */
export function decoderSignature(first: ort.InferenceSession, withPast: ort.InferenceSession, config: WhisperExportConfig): DecoderSignature {
  const firstIn = byName(first.inputMetadata);
  const firstOut = byName(first.outputMetadata);
  const pastIn = byName(withPast.inputMetadata);
  const pastOut = byName(withPast.outputMetadata);
  for (const name of ['input_ids', 'encoder_hidden_states']) {
    if (!firstIn.has(name)) throw new Error(`the decoder has no ${name} input (inputs: ${first.inputNames.join(', ')})`);
  }
  if (!firstOut.has('logits') || !pastOut.has('logits')) throw new Error('the decoder has no logits output');
  const layers = first.outputNames.filter((n) => /^present\.\d+\.decoder\.key$/.test(n)).length;
  if (layers !== config.decoderLayers) {
    throw new Error(`the decoder graph has ${layers} layers of cache outputs, config.json says ${config.decoderLayers} (files from different models?)`);
  }
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value']) {
      for (const side of ['decoder', 'encoder']) {
        if (!firstOut.has(`present.${i}.${side}.${part}`)) throw new Error(`the decoder has no present.${i}.${side}.${part} output`);
        if (!pastIn.has(`past_key_values.${i}.${side}.${part}`)) throw new Error(`the decoder has no past_key_values.${i}.${side}.${part} input`);
      }
      if (!pastOut.has(`present.${i}.decoder.${part}`)) throw new Error(`the with-past decoder has no present.${i}.decoder.${part} output`);
    }
  }
  const cache = pastIn.get('past_key_values.0.decoder.key');
  const cacheShape = shapeOf(cache);
  const heads = typeof cacheShape[1] === 'number' ? cacheShape[1] : config.decoderHeads;
  const headDim = typeof cacheShape[3] === 'number' ? cacheShape[3] : config.dModel / config.decoderHeads;
  if (heads !== config.decoderHeads) throw new Error(`the decoder cache has ${heads} heads, config.json says ${config.decoderHeads}`);
  expectDim(firstOut.get('logits'), 2, config.vocabSize, 'the decoder logits size');
  expectDim(firstIn.get('encoder_hidden_states'), 2, config.dModel, 'the decoder encoder_hidden_states width');
  const useCacheBranch = firstIn.has('use_cache_branch');
  if (useCacheBranch !== (first === withPast)) throw new Error('use_cache_branch belongs to merged decoders only');
  const crossAttentions = Array.from({ length: layers }, (_, i) => `cross_attentions.${i}`).every((n) => firstOut.has(n));
  return {
    layers,
    heads,
    headDim,
    cacheType: floatType(cache, 'past_key_values.0.decoder.key'),
    hiddenType: floatType(firstIn.get('encoder_hidden_states'), 'encoder_hidden_states'),
    useCacheBranch,
    crossAttentions,
  };
}
