/**
 * `POST | GET | DELETE /v1/voice-embed/`: a speaker embedding computed from an uploaded voice and
 * stored for the caller's account (API.md "Voice identity"), reusable by `embed_id` in cloning,
 * conversion and speech-to-speech. `model` names the cloning model the embedding is meant for
 * (chatterbox, cosyvoice2, …): it is accepted and recorded; `extractor` in the answer says what
 * actually computed it (an installed speaker model, else the embedded statistics).
 * Free (API.md prices cloning by characters, not embedding).
 */
import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Router } from '../http/router.js';
import { MAX_EMBEDDINGS_PER_ACCOUNT, tooManyEmbeddings, type StoredEmbedding } from '../voice/embedding-store.js';
import { installedSpeakerModel } from '../voice/voice-models.js';
import type { VoiceEmbedResult } from '../workers/voice-task.js';
import { audioFile, oneOf, readVoiceForm, VOICE_UPLOAD_LIMITS, voiceOwner, type VoiceContext } from './voice-upload.js';
import type { HttpExchange } from '../http/exchange.js';

/** API.md's cloning models an embedding may be meant for. */
export const EMBED_MODELS = ['chatterbox', 'cosyvoice2', 'openvoice', 'gpt-sovits', 'spark', 'indextts2', 'qwen3-tts'] as const;
/** A reference longer than this is refused: 10-30 s is what cloning wants. */
export const REFERENCE_MAX_SEC = 120;
/** Voiced speech a reference must hold at least. */
export const REFERENCE_MIN_VOICED_SEC = 2;

export function newEmbedId(): string {
  return `emb_${randomBytes(12).toString('hex')}`;
}

/** Embeds the reference at `path` in a pool worker (checks included) and stores it for the caller. */
export async function embedAndStore(ctx: VoiceContext, ex: HttpExchange, path: string, model: string): Promise<{ stored: StoredEmbedding; result: VoiceEmbedResult }> {
  const owner = voiceOwner(ex);
  // Refused before the costly embedding; add() holds the limit against concurrent requests.
  if ((await ctx.voices.count(owner)) >= MAX_EMBEDDINGS_PER_ACCOUNT) throw tooManyEmbeddings();
  const onnx = installedSpeakerModel(ctx.config.modelsDir);
  const result = await ctx.pool.voice(path, { kind: 'voice', op: 'embed', maxSec: REFERENCE_MAX_SEC, minVoicedSec: REFERENCE_MIN_VOICED_SEC, oneSpeaker: true, keepAudio: true, ...(onnx ? { onnx } : {}) }, ex.signal);
  const stored: StoredEmbedding = { id: newEmbedId(), model, extractor: result.extractor, vector: result.embedding, stats: result.stats, audioSec: result.audioSec, createdAt: Date.now() };
  if (result.pcm) await ctx.voiceAudio.save(stored.id, result.pcm);
  try {
    await ctx.voices.add(owner, stored);
  } catch (err) {
    if (result.pcm) await ctx.voiceAudio.remove(stored.id);
    throw err;
  }
  return { stored, result };
}

export function registerVoiceEmbedRoutes(router: Router, ctx: VoiceContext): void {
  router.post('/v1/voice-embed', async (ex) => {
    const started = performance.now();
    voiceOwner(ex);
    const body = await readVoiceForm(ctx, ex, { file: VOICE_UPLOAD_LIMITS.reference }, (fields) => void oneOf(fields, 'model', EMBED_MODELS, 'chatterbox'));
    const model = oneOf(body.fields, 'model', EMBED_MODELS, 'chatterbox');
    const file = await audioFile(body, 'file');
    const { stored } = await embedAndStore(ctx, ex, file.path, model);
    ex.json(200, { embed_id: stored.id, model, duration_ms: Math.round(performance.now() - started), extractor: stored.extractor, audio_duration_sec: round2(stored.audioSec) });
  });

  router.get('/v1/voice-embed', async (ex) => {
    const list = await ctx.voices.list(voiceOwner(ex));
    ex.json(200, {
      embeddings: list.map((e) => ({ embed_id: e.id, model: e.model, extractor: e.extractor, audio_duration_sec: round2(e.audioSec), created_at: new Date(e.createdAt).toISOString() })),
      total: list.length,
    });
  });

  router.delete('/v1/voice-embed', async (ex) => {
    const owner = voiceOwner(ex);
    const id = ex.query.get('embed_id') ?? '';
    if (!id) throw new ApiError('missing_required_parameter', "Missing required query parameter 'embed_id'", 'embed_id');
    if (!(await ctx.voices.remove(owner, id))) throw new ApiError('embedding_not_found', `No stored voice with id ${JSON.stringify(id)} for this account`, 'embed_id');
    await ctx.voiceAudio.remove(id);
    ex.json(200, { embed_id: id, deleted: true });
  });
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
