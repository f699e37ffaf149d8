/**
 * Which files of a Hugging Face Whisper export a model folder holds, and which of them to load.
 *
 * The layout is the one optimum and transformers.js publish (`onnx-community/whisper-*`,
 * `distil-whisper/*`): `config.json`, `generation_config.json`, `tokenizer.json` at the top, the
 * graphs under `onnx/` as `encoder_model{suffix}.onnx` and either `decoder_model_merged{suffix}.onnx`
 * (one graph, both branches, chosen by `use_cache_branch`) or the older pair
 * `decoder_model{suffix}.onnx` + `decoder_with_past_model{suffix}.onnx`. The suffix names the
 * weights' precision: none (float32), `_quantized` (dynamic int8, the one every export has),
 * `_int8`, `_uint8`, `_fp16`, `_q4`, `_q4f16`, `_bnb4`. Float32 graphs over 2 GB keep their weights
 * beside them in `<graph>.onnx_data`, which onnxruntime reads by itself when given the path.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The precisions exports publish, by file suffix; `fp32` is the unsuffixed file. */
export const WHISPER_VARIANTS = ['fp32', 'quantized', 'int8', 'uint8', 'fp16', 'q4', 'q4f16', 'bnb4'] as const;
export type WhisperVariant = (typeof WHISPER_VARIANTS)[number];

/** `auto`: float32 when the folder has it, else the first other precision it has, in list order. */
export type WhisperVariantChoice = WhisperVariant | 'auto';

/** The graphs of one precision. */
export interface WhisperGraphFiles {
  variant: WhisperVariant;
  encoder: string;
  /** The merged decoder, or the first-step decoder of a pair. */
  decoder: string;
  /** The with-past decoder of a pair; undefined for a merged decoder. */
  decoderWithPast?: string;
}

/** Everything the loader reads, as absolute paths. */
export interface WhisperExportFiles extends WhisperGraphFiles {
  config: string;
  /** Absent in some exports: then no alignment heads, and the vocabulary decides `.en`. */
  generationConfig?: string;
  tokenizer: string;
}

/** The `whisperVariant` configuration value, checked at start (an unknown one is an Error). */
export function whisperVariantFrom(raw: string): WhisperVariantChoice {
  const value = raw.trim().toLowerCase() || 'auto';
  if (value === 'auto' || (WHISPER_VARIANTS as readonly string[]).includes(value)) return value as WhisperVariantChoice;
  throw new Error(`config: whisperVariant: '${raw}' is not one of auto, ${WHISPER_VARIANTS.join(', ')}`);
}

/** Files a folder must hold to count as installed (the catalogue's `files`, `*` within a name). */
export const WHISPER_REQUIRED_FILES = ['config.json', 'tokenizer.json', 'onnx/encoder_model*.onnx', 'onnx/decoder_model*.onnx'];

function suffix(variant: WhisperVariant): string {
  return variant === 'fp32' ? '' : `_${variant}`;
}

/** The graphs of `variant` in `dir`, or undefined when one of them is missing. */
function graphsOf(dir: string, variant: WhisperVariant): WhisperGraphFiles | undefined {
  const s = suffix(variant);
  const at = (name: string): string => join(dir, 'onnx', `${name}${s}.onnx`);
  const encoder = at('encoder_model');
  if (!existsSync(encoder)) return undefined;
  if (existsSync(at('decoder_model_merged'))) return { variant, encoder, decoder: at('decoder_model_merged') };
  if (existsSync(at('decoder_model')) && existsSync(at('decoder_with_past_model'))) {
    return { variant, encoder, decoder: at('decoder_model'), decoderWithPast: at('decoder_with_past_model') };
  }
  return undefined;
}

/** Precisions with a complete set of graphs in `dir`, in WHISPER_VARIANTS order. */
export function availableVariants(dir: string): WhisperVariant[] {
  return WHISPER_VARIANTS.filter((v) => graphsOf(dir, v) !== undefined);
}

/**
 * The files to load from `dir` for `choice`. Throws an Error saying what is missing (a folder
 * without the asked precision lists the ones it has).
 */
export function exportFiles(dir: string, choice: WhisperVariantChoice): WhisperExportFiles {
  for (const name of ['config.json', 'tokenizer.json']) {
    if (!existsSync(join(dir, name))) throw new Error(`${name} is missing from ${dir}`);
  }
  const have = availableVariants(dir);
  const variant = choice === 'auto' ? have[0] : choice;
  const graphs = variant === undefined ? undefined : graphsOf(dir, variant);
  if (graphs === undefined) {
    const asked = choice === 'auto' ? 'an encoder and a decoder' : `the '${choice}' graphs (onnx/encoder_model${suffix(choice)}.onnx and a decoder)`;
    throw new Error(`${dir} has no complete set of ${asked}; precisions present: ${have.length > 0 ? have.join(', ') : 'none'}`);
  }
  const generationConfig = join(dir, 'generation_config.json');
  return {
    ...graphs,
    config: join(dir, 'config.json'),
    tokenizer: join(dir, 'tokenizer.json'),
    ...(existsSync(generationConfig) ? { generationConfig } : {}),
  };
}
