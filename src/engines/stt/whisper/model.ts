/**
 * What the Whisper decoding loop needs from a model, and nothing of how it runs: the ONNX
 * adapter (`onnx-model.ts`, onnx-community / optimum export layout) implements it. Keeping the
 * search (greedy, beam, fallback, timestamps, language detection) behind this lets it be read
 * against OpenAI's `decoding.py` without onnxruntime in the way.
 */

export interface WhisperDims {
  /** 80, or 128 for large-v3 and large-v3-turbo. */
  nMels: number;
  /** Encoder frames per 30 s window after the conv stride: 1500. */
  nAudioCtx: number;
  /** Longest token context of the decoder: 448. */
  nTextCtx: number;
  /** Logits per position (51865 multilingual, 51864 `.en`, 51866 large-v3). */
  nVocab: number;
}

/** One 30 s window after the encoder; opaque to the decoding loop. */
export interface EncodedAudio {
  readonly kind: 'whisper-encoded';
}

/** The decoder's key/value cache for a batch of rows; opaque to the decoding loop. */
export interface DecoderCache {
  /** Tokens already in the cache, per row (all rows have the same count). */
  readonly length: number;
  readonly rows: number;
}

export interface DecoderStep {
  /** Logits, flat [rows, positions, nVocab], for every new token fed in this step. */
  logits: Float32Array;
  rows: number;
  positions: number;
  /** The cache now holding every token fed so far; the input cache must not be used again. */
  cache: DecoderCache;
}

export interface WhisperModel {
  readonly dims: WhisperDims;
  /** True when the export returns cross-attention weights (word timestamps by alignment). */
  readonly hasCrossAttention: boolean;
  /** Alignment heads `[layer, head]` from `generation_config.json`; empty without them. */
  readonly alignmentHeads: ReadonlyArray<readonly [number, number]>;
  /** `mel`: one window, flat [nMels, 3000] (see `melWindow`). */
  encode(mel: Float32Array): Promise<EncodedAudio>;
  /**
   * Feeds `tokens` (rows of equal length, the same audio for every row) after `cache` (null: the
   * start). Beam search feeds one token per row per step.
   */
  decode(audio: EncodedAudio, tokens: readonly (readonly number[])[], cache: DecoderCache | null): Promise<DecoderStep>;
  /** The cache with its rows picked (and repeated) by index, for beam reordering. */
  selectRows(cache: DecoderCache, rows: readonly number[]): DecoderCache;
  /**
   * Cross-attention of the alignment heads for one full token sequence fed from the start:
   * per head, flat [tokens, nAudioCtx]. Only when `hasCrossAttention`.
   */
  crossAttention?(audio: EncodedAudio, tokens: readonly number[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}
