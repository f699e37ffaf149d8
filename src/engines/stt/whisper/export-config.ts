/**
 * The two JSON files of a Hugging Face Whisper export that the engine reads: `config.json`
 * (transformers' `WhisperConfig`: mel bins, vocabulary size, context lengths, decoder layers and
 * heads) and `generation_config.json` (`alignment_heads` for word timestamps by cross-attention,
 * `is_multilingual`). Only the fields used are checked; the rest of each file is left alone.
 */
import { z } from 'zod';

export interface WhisperExportConfig {
  nMels: 80 | 128;
  /** Logits per position; fixes the language count (see numLanguagesForVocabSize). */
  vocabSize: number;
  /** Encoder frames per window (1500). */
  maxSourcePositions: number;
  /** Decoder context (448). */
  maxTargetPositions: number;
  decoderLayers: number;
  decoderHeads: number;
  dModel: number;
}

export interface WhisperGenerationConfig {
  alignmentHeads: Array<[number, number]>;
  /** Undefined when the file does not say; the vocabulary decides then. */
  multilingual?: boolean;
}

const ConfigSchema = z.object({
  num_mel_bins: z.union([z.literal(80), z.literal(128)]),
  vocab_size: z.number().int().positive(),
  max_source_positions: z.number().int().positive(),
  max_target_positions: z.number().int().positive(),
  decoder_layers: z.number().int().positive(),
  decoder_attention_heads: z.number().int().positive(),
  d_model: z.number().int().positive(),
});

const GenerationSchema = z.object({
  alignment_heads: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])).optional(),
  is_multilingual: z.boolean().optional(),
});

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not JSON (${(error as Error).message})`);
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid';
}

/** Parses `config.json`; throws an Error naming the first bad field. */
export function parseWhisperConfig(text: string): WhisperExportConfig {
  const parsed = ConfigSchema.safeParse(parseJson(text, 'config.json'));
  if (!parsed.success) throw new Error(`config.json is not a Whisper config: ${firstIssue(parsed.error)}`);
  const c = parsed.data;
  return {
    nMels: c.num_mel_bins,
    vocabSize: c.vocab_size,
    maxSourcePositions: c.max_source_positions,
    maxTargetPositions: c.max_target_positions,
    decoderLayers: c.decoder_layers,
    decoderHeads: c.decoder_attention_heads,
    dModel: c.d_model,
  };
}

/**
 * Parses `generation_config.json`; alignment heads outside the decoder's layers or heads make it
 * a mismatched file (an Error), not silently wrong word times.
 */
export function parseGenerationConfig(text: string, config: WhisperExportConfig): WhisperGenerationConfig {
  const parsed = GenerationSchema.safeParse(parseJson(text, 'generation_config.json'));
  if (!parsed.success) throw new Error(`generation_config.json: ${firstIssue(parsed.error)}`);
  const heads = parsed.data.alignment_heads ?? [];
  for (const [layer, head] of heads) {
    if (layer >= config.decoderLayers || head >= config.decoderHeads) {
      throw new Error(`generation_config.json: alignment head [${layer}, ${head}] is outside the decoder's ${config.decoderLayers} layers × ${config.decoderHeads} heads`);
    }
  }
  return { alignmentHeads: heads, ...(parsed.data.is_multilingual !== undefined ? { multilingual: parsed.data.is_multilingual } : {}) };
}
