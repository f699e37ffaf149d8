/**
 * `WhisperModel` on onnxruntime-node, for the Hugging Face export layout (see export-files.ts and
 * onnx-signature.ts for the files and names). Batch rows are the decoding loop's rows (beams or
 * samples) over one window of audio.
 *
 * The cache: the first step runs the no-past graph (a merged decoder with `use_cache_branch`
 * false and empty past tensors), which returns the self-attention cache for the prompt and the
 * cross-attention keys/values computed from the encoder output. Later steps feed both back with
 * `use_cache_branch` true and fetch only `logits` and the self-attention outputs: the cross
 * keys/values never change, so they are not copied out of onnxruntime again. They are equal in
 * every row, so reordering rows (beam search) keeps them as they are unless the row count changes.
 */
import * as ort from 'onnxruntime-node';
import type { WhisperExportConfig } from './export-config.js';
import { N_FRAMES } from './mel.js';
import type { DecoderCache, DecoderStep, EncodedAudio, WhisperDims, WhisperModel } from './model.js';
import { emptyTensor, floatData, floatTensor, gatherRows, repeatFirstRow } from './onnx-tensors.js';
import type { DecoderSignature, EncoderSignature } from './onnx-signature.js';

/** The sessions of one export, created and checked by the loader (load-model.ts). */
export interface WhisperSessions {
  encoder: ort.InferenceSession;
  /** Merged decoder, or the first-step one of a pair. */
  decoder: ort.InferenceSession;
  /** The with-past decoder of a pair; the merged decoder itself otherwise. */
  decoderWithPast: ort.InferenceSession;
  encoderSignature: EncoderSignature;
  decoderSignature: DecoderSignature;
}

interface OnnxEncoded extends EncodedAudio {
  /** `last_hidden_state`, [1, nAudioCtx, d]. */
  readonly hidden: ort.Tensor;
  /** `hidden` repeated to a row count, kept while the window is decoded. */
  readonly byRows: Map<number, ort.Tensor>;
}

interface OnnxCache extends DecoderCache {
  /** Self-attention cache per `past_key_values.{i}.decoder.{key,value}` name. */
  readonly self: ReadonlyMap<string, ort.Tensor>;
  /** Cross-attention keys/values per `past_key_values.{i}.encoder.{key,value}` name. */
  readonly cross: ReadonlyMap<string, ort.Tensor>;
}

const PARTS = ['key', 'value'] as const;

export class OnnxWhisperModel implements WhisperModel {
  readonly dims: WhisperDims;
  readonly hasCrossAttention: boolean;
  readonly alignmentHeads: ReadonlyArray<readonly [number, number]>;
  private readonly sig: DecoderSignature;
  /** The names fetched on a with-past step: logits and the self-attention cache. */
  private readonly stepFetches: string[];

  constructor(
    private readonly sessions: WhisperSessions,
    config: WhisperExportConfig,
    alignmentHeads: ReadonlyArray<readonly [number, number]>,
  ) {
    this.sig = sessions.decoderSignature;
    this.dims = { nMels: config.nMels, nAudioCtx: config.maxSourcePositions, nTextCtx: config.maxTargetPositions, nVocab: config.vocabSize };
    this.alignmentHeads = alignmentHeads;
    this.hasCrossAttention = this.sig.crossAttentions && alignmentHeads.length > 0;
    this.stepFetches = ['logits'];
    for (let i = 0; i < this.sig.layers; i++) for (const p of PARTS) this.stepFetches.push(`present.${i}.decoder.${p}`);
  }

  async encode(mel: Float32Array): Promise<EncodedAudio> {
    const { nMels, nAudioCtx } = this.dims;
    if (mel.length !== nMels * N_FRAMES) throw new RangeError(`mel window has ${mel.length} values, expected ${nMels}×${N_FRAMES}`);
    const features = floatTensor(this.sessions.encoderSignature.featuresType, mel, [1, nMels, N_FRAMES]);
    const out = await this.sessions.encoder.run({ input_features: features });
    const hidden = out.last_hidden_state!;
    if (hidden.dims.length !== 3 || hidden.dims[1] !== nAudioCtx) throw new Error(`encoder gave [${hidden.dims.join(', ')}], expected [1, ${nAudioCtx}, d]`);
    const encoded: OnnxEncoded = { kind: 'whisper-encoded', hidden: this.asHiddenType(hidden), byRows: new Map() };
    return encoded;
  }

  async decode(audio: EncodedAudio, tokens: readonly (readonly number[])[], cache: DecoderCache | null): Promise<DecoderStep> {
    const encoded = audio as OnnxEncoded;
    const rows = tokens.length;
    const positions = tokens[0]?.length ?? 0;
    if (rows === 0 || positions === 0 || tokens.some((t) => t.length !== positions)) throw new RangeError('decode takes rows of equal, non-zero length');
    const past = cache as OnnxCache | null;
    if (past !== null && past.rows !== rows) throw new RangeError(`cache has ${past.rows} rows, tokens have ${rows}`);
    if ((past?.length ?? 0) + positions > this.dims.nTextCtx) throw new RangeError(`decoder context is ${this.dims.nTextCtx} tokens`);

    const session = past === null ? this.sessions.decoder : this.sessions.decoderWithPast;
    const feeds = this.feeds(encoded, tokens, past, session);
    const fetches = past === null ? this.firstFetches() : this.stepFetches;
    const out = await session.run(feeds, fetches);

    const logitsTensor = out.logits!;
    if (logitsTensor.dims[2] !== this.dims.nVocab) throw new Error(`decoder gave ${logitsTensor.dims[2]} logits per token, config.json says ${this.dims.nVocab}`);
    const self = new Map<string, ort.Tensor>();
    const cross = new Map<string, ort.Tensor>();
    for (let i = 0; i < this.sig.layers; i++) {
      for (const p of PARTS) {
        self.set(`past_key_values.${i}.decoder.${p}`, out[`present.${i}.decoder.${p}`]!);
        const name = `past_key_values.${i}.encoder.${p}`;
        cross.set(name, past === null ? out[`present.${i}.encoder.${p}`]! : past.cross.get(name)!);
      }
    }
    const next: OnnxCache = { length: (past?.length ?? 0) + positions, rows, self, cross };
    return { logits: floatData(logitsTensor), rows, positions, cache: next };
  }

  selectRows(cache: DecoderCache, rows: readonly number[]): DecoderCache {
    const c = cache as OnnxCache;
    const self = new Map([...c.self].map(([name, t]) => [name, gatherRows(t, rows)] as const));
    // Cross keys/values are the same in every row: only the row count matters.
    const cross = rows.length === c.rows ? c.cross : new Map([...c.cross].map(([name, t]) => [name, repeatFirstRow(t, rows.length)] as const));
    const picked: OnnxCache = { length: c.length, rows: rows.length, self, cross };
    return picked;
  }

  async crossAttention(audio: EncodedAudio, tokens: readonly number[]): Promise<Float32Array[]> {
    if (!this.hasCrossAttention) throw new Error('this export gives no cross-attention weights');
    const session = this.sessions.decoder;
    const layers = [...new Set(this.alignmentHeads.map(([layer]) => layer))];
    const out = await session.run(this.feeds(audio as OnnxEncoded, [tokens], null, session), layers.map((l) => `cross_attentions.${l}`));
    const n = tokens.length;
    const ctx = this.dims.nAudioCtx;
    return this.alignmentHeads.map(([layer, head]) => {
      const t = out[`cross_attentions.${layer}`]!;
      const [, heads, rowsOut, frames] = t.dims;
      if (rowsOut !== n || frames !== ctx || head >= heads!) throw new Error(`cross_attentions.${layer} is [${t.dims.join(', ')}]`);
      return floatData(t).slice(head * n * ctx, (head + 1) * n * ctx);
    });
  }

  async release(): Promise<void> {
    const { encoder, decoder, decoderWithPast } = this.sessions;
    await Promise.all([...new Set([encoder, decoder, decoderWithPast])].map((s) => s.release()));
  }

  /** What the first step fetches: logits and the whole cache. */
  private firstFetches(): string[] {
    const names = ['logits'];
    for (let i = 0; i < this.sig.layers; i++) for (const side of ['decoder', 'encoder']) for (const p of PARTS) names.push(`present.${i}.${side}.${p}`);
    return names;
  }

  private feeds(audio: OnnxEncoded, tokens: readonly (readonly number[])[], past: OnnxCache | null, session: ort.InferenceSession): Record<string, ort.Tensor> {
    const rows = tokens.length;
    const ids = new BigInt64Array(rows * tokens[0]!.length);
    let k = 0;
    for (const row of tokens) for (const id of row) ids[k++] = BigInt(id);
    const wanted = new Set(session.inputNames);
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [rows, tokens[0]!.length]) };
    if (wanted.has('encoder_hidden_states')) feeds.encoder_hidden_states = this.hiddenFor(audio, rows);
    if (wanted.has('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(past === null ? 0 : 1), [1]);
    for (let i = 0; i < this.sig.layers; i++) {
      for (const side of ['decoder', 'encoder'] as const) {
        for (const p of PARTS) {
          const name = `past_key_values.${i}.${side}.${p}`;
          if (!wanted.has(name)) continue;
          const have = past === null ? undefined : side === 'decoder' ? past.self.get(name) : past.cross.get(name);
          feeds[name] = have ?? emptyTensor(this.sig.cacheType, [rows, this.sig.heads, 0, this.sig.headDim]);
        }
      }
    }
    return feeds;
  }

  private hiddenFor(audio: OnnxEncoded, rows: number): ort.Tensor {
    if (rows === 1) return audio.hidden;
    let t = audio.byRows.get(rows);
    if (!t) {
      t = repeatFirstRow(audio.hidden, rows);
      audio.byRows.set(rows, t);
    }
    return t;
  }

  /** The encoder's output in the element type the decoder takes (mixed-precision exports differ). */
  private asHiddenType(hidden: ort.Tensor): ort.Tensor {
    return hidden.type === this.sig.hiddenType ? hidden : floatTensor(this.sig.hiddenType, floatData(hidden), hidden.dims);
  }
}
