/**
 * `POST /v1/voice-convert/`: a recording re-spoken in another voice (API.md "Voice identity").
 * `target_voice` is a stored voice (`emb_…`, the caller's own) or a built-in TTS voice; the
 * embedded converter (src/voice/converter.ts) moves F0 statistics and the spectral envelope
 * toward it in a pool worker, and the answer is a tagged file (`X-Llais-Synthetic: true`, a
 * metadata comment). With OpenVoice v2 (`<modelsDir>/openvoice-v2/`) or kNN-VC
 * (`<modelsDir>/knn-vc/`) installed (src/voice/voice-models.ts) a neural converter runs instead,
 * toward the target's own kept audio: the one `model` names if installed, else the other.
 * `X-Llais-Converter` says which converter ran. 3 credits per audio minute.
 */
import { ApiError } from '../errors.js';
import type { MultipartFields } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import type { ConvertSpec } from '../voice/converter.js';
import { VOICE_SAMPLE_RATE_HZ } from '../voice/frame-spectrum.js';
import { encodeTagged, TAGGED_CONTENT_TYPES, TAGGED_FORMATS, type TaggedFormat } from '../voice/tagged-audio.js';
import { reserveVoiceCharge, VOICE_CHANGER_CREDITS_PER_MINUTE } from './voice-charge.js';
import { audioFile, numberField, oneOf, readVoiceForm, SYNTHETIC_COMMENT, SYNTHETIC_HEADERS, targetVoiceAudio, targetVoiceStats, textField, VOICE_UPLOAD_LIMITS, type VoiceContext } from './voice-upload.js';
import { installedKnnVc, installedOpenVoice } from '../voice/voice-models.js';
import type { VoiceConvertInput } from '../workers/voice-task.js';

export const CONVERT_MODELS = ['openvoice', 'knn-vc'] as const;
/** The embedded converter's name, when no neural one runs. */
export const EMBEDDED_CONVERTER = 'llais-dsp-v1';
/** Longest recording converted: the converter holds the whole signal (about 40 bytes a sample). */
export const CONVERT_MAX_SEC = 600;
/** `X-Llais-Converter` when OpenVoice's tone-colour converter ran. */
export const OPENVOICE_CONVERTER = 'openvoice-v2';
export const MAX_PITCH_SHIFT = 12;

function convertFields(fields: MultipartFields): { model: string; format: TaggedFormat; pitchShift: number } {
  return {
    model: oneOf(fields, 'model', CONVERT_MODELS, 'openvoice'),
    format: oneOf(fields, 'format', TAGGED_FORMATS, 'wav'),
    pitchShift: numberField(fields, 'pitch_shift', -MAX_PITCH_SHIFT, MAX_PITCH_SHIFT) ?? 0,
  };
}

/**
 * Converts the upload at `path` with `spec` in a pool worker, charged per audio minute, and sends
 * the tagged file. Shared with speech-to-speech.
 */
/** A neural converter's part of the worker task. */
export type NeuralInput = Pick<VoiceConvertInput, 'knn' | 'openvoice'>;

export async function convertAndSend(ctx: VoiceContext, ex: HttpExchange, path: string, spec: ConvertSpec, format: TaggedFormat, extraHeaders: Record<string, string>, neural?: NeuralInput): Promise<void> {
  const charge = await reserveVoiceCharge(ctx, ex, VOICE_CHANGER_CREDITS_PER_MINUTE, 'voice changer');
  let credits: { used: number; remaining: number | null };
  let file: Buffer;
  try {
    const converted = await ctx.pool.voice(path, { kind: 'voice', op: 'convert', spec, maxSec: CONVERT_MAX_SEC, ...neural }, ex.signal);
    file = await encodeTagged(converted.pcm, VOICE_SAMPLE_RATE_HZ, format, SYNTHETIC_COMMENT, ex.signal);
    credits = await charge.commit(converted.pcm.length / VOICE_SAMPLE_RATE_HZ / 60);
  } catch (error) {
    void charge.refund();
    throw error;
  }
  ex.send(200, {
    'Content-Type': TAGGED_CONTENT_TYPES[format],
    'Content-Disposition': `attachment; filename="converted.${format}"`,
    ...SYNTHETIC_HEADERS,
    'X-Credits-Used': String(credits.used),
    ...(credits.remaining === null ? {} : { 'X-Credits-Remaining': String(credits.remaining) }),
    ...extraHeaders,
  }, file);
}

/**
 * The installed neural converter to run, the requested `model` first, then the other: each
 * converts toward the target's own kept audio. Neither has pitch control, so a `pitch_shift`
 * keeps the embedded converter (the caller does not ask).
 */
async function neuralConverter(ctx: VoiceContext, ex: HttpExchange, model: string, target: string): Promise<{ name: string; input: NeuralInput } | undefined> {
  const openvoice = installedOpenVoice(ctx.config.modelsDir);
  const knn = installedKnnVc(ctx.config.modelsDir);
  if (!openvoice && !knn) return undefined;
  const audio = await targetVoiceAudio(ctx, ex, target);
  if (!audio) return undefined;
  const choices = [
    ...(openvoice ? [{ name: OPENVOICE_CONVERTER, input: { openvoice: { ...openvoice, target: audio } } }] : []),
    ...(knn ? [{ name: 'knn-vc', input: { knn: { ...knn, target: audio } } }] : []),
  ];
  return choices.find((c) => (model === 'openvoice') === (c.name === OPENVOICE_CONVERTER)) ?? choices[0];
}

export function registerVoiceConvertRoutes(router: Router, ctx: VoiceContext): void {
  router.post('/v1/voice-convert', async (ex) => {
    const body = await readVoiceForm(ctx, ex, { file: VOICE_UPLOAD_LIMITS.convert }, (fields) => void convertFields(fields));
    const { model, format, pitchShift } = convertFields(body.fields);
    const target = textField(body.fields, 'target_voice');
    if (target === undefined) throw new ApiError('missing_required_parameter', "Missing required field 'target_voice' (an embed_id from /v1/voice-embed/ or a voice id from /v1/voices/)", 'target_voice');
    const file = await audioFile(body, 'file');
    const stats = await targetVoiceStats(ctx, ex, target, 'target_voice');
    const neural = pitchShift === 0 ? await neuralConverter(ctx, ex, model, target) : undefined;
    await convertAndSend(ctx, ex, file.path, { target: stats, pitchShiftSemitones: pitchShift }, format, { 'X-Llais-Model': model, 'X-Llais-Converter': neural?.name ?? EMBEDDED_CONVERTER }, neural?.input);
  });
}
