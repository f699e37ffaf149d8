/**
 * `POST /v1/speech-to-speech/`: the same words in a new voice and style (API.md). Done by
 * conversion, not by recognizing and re-synthesizing, so every word, pause and breath is kept:
 * `voice` (a stored `emb_…` voice or a built-in one; absent: the speaker's own) sets the target,
 * `emotion` maps to prosody (src/voice/emotion-prosody.ts) and `speed` stretches time. `model`
 * (openvoice, chatterbox) is accepted and recorded. Priced as the voice changer: 3 credits per
 * audio minute. Returns WAV unless `format` says mp3 or flac.
 */
import type { MultipartFields } from '../http/body.js';
import type { Router } from '../http/router.js';
import { EMOTIONS, prosodySpec, type Emotion } from '../voice/emotion-prosody.js';
import { TAGGED_FORMATS, type TaggedFormat } from '../voice/tagged-audio.js';
import { convertAndSend, EMBEDDED_CONVERTER } from './voice-convert.js';
import { audioFile, numberField, oneOf, readVoiceForm, targetVoiceStats, textField, VOICE_UPLOAD_LIMITS, type VoiceContext } from './voice-upload.js';

export const STS_MODELS = ['openvoice', 'chatterbox'] as const;
export const MIN_SPEED = 0.5;
export const MAX_SPEED = 2;

function stsFields(fields: MultipartFields): { model: string; emotion: Emotion; speed: number; format: TaggedFormat } {
  return {
    model: oneOf(fields, 'model', STS_MODELS, 'openvoice'),
    emotion: oneOf(fields, 'emotion', EMOTIONS, 'neutral'),
    speed: numberField(fields, 'speed', MIN_SPEED, MAX_SPEED) ?? 1,
    format: oneOf(fields, 'format', TAGGED_FORMATS, 'wav'),
  };
}

export function registerSpeechToSpeechRoutes(router: Router, ctx: VoiceContext): void {
  router.post('/v1/speech-to-speech', async (ex) => {
    const body = await readVoiceForm(ctx, ex, { file: VOICE_UPLOAD_LIMITS.convert }, (fields) => void stsFields(fields));
    const { model, emotion, speed, format } = stsFields(body.fields);
    const file = await audioFile(body, 'file');
    const voice = textField(body.fields, 'voice');
    const target = voice === undefined ? undefined : await targetVoiceStats(ctx, ex, voice, 'voice');
    await convertAndSend(ctx, ex, file.path, prosodySpec(emotion, speed, target), format, { 'X-Llais-Model': model, 'X-Llais-Converter': EMBEDDED_CONVERTER, 'X-Llais-Emotion': emotion });
  });
}
