/**
 * Kokoro 82M v1.0 on onnxruntime-node, inside a TTS worker thread.
 *
 * Text -> eSpeak NG IPA (tied, as misaki asks eSpeak for it) -> Kokoro phonemes for the voice's
 * language (./phonemes.ts) -> pieces of at most 510 tokens cut at punctuation, the first one
 * short when the job starts a stream (./chunks.ts) -> one inference per piece, with the style
 * row for the piece's token count (mixed across the voices of a mix) -> one 24 kHz chunk per
 * piece, so the first audio leaves after the first short piece. The pool's cancel flag is
 * read at every chunk (the sink), so a cancelled job stops between pieces.
 *
 * The session comes from the worker's SessionCache (one per model file version, least recently
 * used out past the memory budget) and is made by `createSession` with the server's providers
 * and threads; its inputs and outputs are matched against both published exports when it
 * loads, and a file onnxruntime cannot load, or that is another model, is a VoiceLoadError.
 */
import { statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { AudioChunk } from '../../../audio/pcm.js';
import type { SessionCache } from '../../onnx/session-cache.js';
import { createSession, type OnnxSettings } from '../../onnx/settings.js';
import { VoiceLoadError } from '../piper/voice-load-error.js';
import { chunkPhonemes } from './chunks.js';
import { espeakToKokoro } from './phonemes.js';
import { KOKORO_SAMPLE_RATE_HZ, matchKokoroSignature, type KokoroSignature, type ValueInfo } from './signature.js';
import { tokenize, withPads } from './vocab.js';
import { STYLE_DIM, STYLE_ROWS } from './voices.js';

/** What a worker needs to speak a Kokoro voice (or mix); built by the main thread's registry. */
export interface KokoroVoiceRef {
  modelPath: string;
  /** Changes when the model file changes; a session of another version is replaced. */
  version: string;
  /** Style tables (in shared memory) and their weights; one part for a plain voice. */
  parts: Array<{ table: Float32Array; weight: number }>;
  /** The eSpeak identifier that phonemizes for the (leading) voice, e.g. `gmw/en-US`. */
  espeakIdentifier: string;
  /** The voice's language (`en-us`, `en-gb`, `fr`, ...): which phoneme rules apply. */
  language: string;
  /** Already clamped; the model's `speed` input (larger is faster). */
  speed: number;
}

/** Text to one tied-IPA string per sentence with the given eSpeak voice. */
export type TiedPhonemizer = (text: string, espeakIdentifier: string) => string[];

/**
 * Most tokens of a stream's first piece: about four seconds of speech (Kokoro speaks ~15
 * phonemes a second), so the first inference is short and the first audio early.
 */
export const FIRST_PIECE_MAX_TOKENS = 64;
const INT16_MAX = 32_767;

export class KokoroCore {
  constructor(
    private readonly phonemize: TiedPhonemizer,
    private readonly settings: OnnxSettings,
    private readonly sessions: SessionCache<KokoroSignature>,
  ) {}

  /** Speaks `text`, one chunk per piece; stops when `sink` returns false. */
  async synthesize(text: string, ref: KokoroVoiceRef, firstOfStream: boolean, sink: (chunk: AudioChunk) => boolean): Promise<void> {
    const phonemes = this.phonemize(text, ref.espeakIdentifier)
      .map((sentence) => espeakToKokoro(sentence, ref.language))
      .filter((p) => p !== '')
      .join(' ');
    const pieces = chunkPhonemes(phonemes, firstOfStream ? { firstChunkMaxTokens: FIRST_PIECE_MAX_TOKENS } : {});
    if (pieces.length === 0) return;
    await this.sessions.use(ref.modelPath, ref.version, () => this.load(ref.modelPath), async ({ session, extra: signature }) => {
      for (const piece of pieces) {
        const ids = tokenize(piece);
        if (ids.length === 0) continue;
        const samples = await infer(session, signature, ids, styleRow(ref.parts, ids.length), ref.speed);
        if (!sink({ pcm: toInt16(samples), sampleRateHz: KOKORO_SAMPLE_RATE_HZ })) return;
      }
    });
  }

  private async load(modelPath: string): Promise<{ session: ort.InferenceSession; extra: KokoroSignature; bytes: number }> {
    let session: ort.InferenceSession;
    try {
      session = await createSession(modelPath, this.settings);
    } catch (err) {
      throw new VoiceLoadError((err as Error).message.split('\n')[0] ?? 'onnxruntime could not load the model');
    }
    const match = matchKokoroSignature(session.inputMetadata as readonly ValueInfo[], session.outputMetadata as readonly ValueInfo[]);
    if (!match.ok) {
      await session.release();
      throw new VoiceLoadError(match.reason);
    }
    return { session, extra: match.signature, bytes: statSync(modelPath).size };
  }
}

async function infer(session: ort.InferenceSession, signature: KokoroSignature, ids: number[], style: Float32Array, speed: number): Promise<Float32Array> {
  const tokens = withPads(ids);
  const feeds: Record<string, ort.Tensor> = {
    [signature.tokens.name]: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    [signature.style.name]: new ort.Tensor('float32', style, [1, STYLE_DIM]),
    [signature.speed.name]: new ort.Tensor('float32', Float32Array.of(speed), [1]),
  };
  const result = await session.run(feeds);
  const audio = result[signature.audio.name];
  if (!audio || audio.type !== 'float32') throw new Error(`Kokoro model returned no float32 '${signature.audio.name}'`);
  return audio.data as Float32Array;
}

/**
 * The style vector for `tokenCount` phoneme tokens: row `tokenCount` of each table (as both
 * ONNX references index it, see ./voices.ts `styleForTokens`), weighted by the mix.
 */
export function styleRow(parts: ReadonlyArray<{ table: Float32Array; weight: number }>, tokenCount: number): Float32Array {
  const row = Math.min(tokenCount, STYLE_ROWS - 1) * STYLE_DIM;
  const total = parts.reduce((sum, p) => sum + p.weight, 0);
  const out = new Float32Array(STYLE_DIM);
  for (const { table, weight } of parts) {
    const w = weight / total;
    for (let i = 0; i < STYLE_DIM; i++) out[i]! += w * table[row + i]!;
  }
  return out;
}

/** Kokoro's float samples to int16, clipped, not normalized (the references write them as they come). */
function toInt16(samples: Float32Array): Int16Array {
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) pcm[i] = Math.round(Math.max(-1, Math.min(1, samples[i]!)) * INT16_MAX);
  return pcm;
}
