/**
 * `POST /v1/speech-translate/`: speech in one language out as speech in another (API.md).
 * Recognition (the server's STT), translation (the configured OpenAI-compatible chat model with a
 * translation prompt; none configured: 424 `translator_not_configured`, said before the upload
 * is read), synthesis in the target language (`voice`, else the default voice that speaks it),
 * and with `preserve_voice` a conversion toward the speaker's own voice statistics. The audio is
 * a completed job's result file (`audio_url`, tagged as synthetic). 5 credits per audio minute.
 */
import { ApiError, invalidParam } from '../errors.js';
import type { MultipartFields } from '../http/body.js';
import type { HttpExchange } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { normalizeLanguageTag } from '../text/language-tag.js';
import { VOICE_SAMPLE_RATE_HZ } from '../voice/frame-spectrum.js';
import { speakToPcm, toVoiceRate, type SpokenPcm } from '../voice/speak-pcm.js';
import { translateText } from '../voice/translate-text.js';
import { reserveVoiceCharge, SPEECH_TRANSLATE_CREDITS_PER_MINUTE } from './voice-charge.js';
import { storeSyntheticResult } from './voice-result.js';
import { audioFile, booleanField, readVoiceForm, textField, VOICE_UPLOAD_LIMITS, type VoiceContext } from './voice-upload.js';

/** Longest upload translated. */
export const TRANSLATE_MAX_SEC = 1800;

function targetLanguage(fields: MultipartFields, required: boolean): string | undefined {
  const raw = textField(fields, 'target_language');
  if (raw === undefined) {
    if (required) throw new ApiError('missing_required_parameter', "Missing required field 'target_language' (a language code such as \"fr\")", 'target_language');
    return undefined;
  }
  const tag = normalizeLanguageTag(raw);
  if (!tag) throw invalidParam('target_language', `'target_language' must be a language code such as "fr" or "pt-br"; got ${JSON.stringify(raw)}`);
  return tag;
}

/** The voice that speaks `language`: the asked one, else the default model's, else any installed one. */
function voiceFor(ctx: VoiceContext, asked: string | undefined, language: string): string {
  if (asked) return asked;
  const primary = language.split('-')[0]!;
  const defaults = ctx.tts.defaults();
  const voice = ctx.tts.defaultVoiceFor(defaults.model, language) ?? ctx.tts.voices().find((v) => v.language.toLowerCase() === language || v.language.toLowerCase().split('-')[0] === primary);
  if (!voice) throw new ApiError('language_not_installed', `No installed voice speaks "${language}"; name one with 'voice' or install one (GET /v1/voices/ lists them)`, 'target_language');
  return voice.id;
}

export function registerSpeechTranslateRoutes(router: Router, ctx: VoiceContext): void {
  router.post('/v1/speech-translate', async (ex) => {
    if (!ctx.config.llmBaseUrl) {
      throw new ApiError('translator_not_configured', 'Speech translation needs a language model: set LLAIS_LLM_BASE_URL (and LLAIS_LLM_MODEL) to an OpenAI-compatible /chat/completions server');
    }
    const body = await readVoiceForm(ctx, ex, { file: VOICE_UPLOAD_LIMITS.translate }, (fields) => {
      targetLanguage(fields, false);
      booleanField(fields, 'preserve_voice');
    });
    const language = targetLanguage(body.fields, true)!;
    const preserve = booleanField(body.fields, 'preserve_voice');
    const asked = textField(body.fields, 'voice');
    const file = await audioFile(body, 'file');
    const voice = voiceFor(ctx, asked, language);
    const charge = await reserveVoiceCharge(ctx, ex, SPEECH_TRANSLATE_CREDITS_PER_MINUTE, 'speech translation');
    try {
      const answer = await translateSpeech(ctx, ex, file.path, language, voice, preserve);
      const credits = await charge.commit(answer.sourceSec / 60);
      ex.json(200, { ...answer.body, credits_used: credits.used }, { 'X-Llais-Synthetic': 'true', 'X-Job-Uuid': answer.uuid });
    } catch (error) {
      void charge.refund();
      throw error;
    }
  });
}

async function translateSpeech(ctx: VoiceContext, ex: HttpExchange, path: string, language: string, voice: string, preserve: boolean) {
  const transcript = await ctx.stt.transcribe({ kind: 'file', path }, { language: 'auto', task: 'transcribe', wordTimestamps: false, diarize: false }, ex.signal);
  if (transcript.durationSec > TRANSLATE_MAX_SEC) throw new ApiError('audio_too_long', `The audio is longer than ${TRANSLATE_MAX_SEC} s, the most this endpoint takes`, 'file');
  const original = transcript.text.trim();
  if (!original) throw new ApiError('no_speech', 'No speech was recognized in the uploaded audio', 'file');
  const translated = await translateText(ctx.responder, original, transcript.language, language, ex.signal);
  const planned = ctx.tts.plan({ text: translated, model: '', voice, language, format: 'mp3', speed: 1, pronunciations: [] });
  let audio: SpokenPcm = await speakToPcm(planned, ex.signal);
  if (preserve) {
    // The speaker's statistics from (at most the first two minutes of) the upload itself.
    const speaker = await ctx.pool.voice(path, { kind: 'voice', op: 'embed', maxSec: Number.POSITIVE_INFINITY, minVoicedSec: 0.5, oneSpeaker: false }, ex.signal);
    const converted = await ctx.pool.voice(toVoiceRate(audio.pcm, audio.sampleRateHz), { kind: 'voice', op: 'convert', spec: { target: speaker.stats }, maxSec: TRANSLATE_MAX_SEC * 4 }, ex.signal);
    audio = { pcm: converted.pcm, sampleRateHz: VOICE_SAMPLE_RATE_HZ, words: audio.words };
  }
  const stored = await storeSyntheticResult(ctx, ex, planned, audio, 'mp3', 0);
  return {
    uuid: stored.uuid,
    sourceSec: transcript.durationSec,
    body: { original_text: original, translated_text: translated, source_language: transcript.language, target_language: language, audio_url: stored.url },
  };
}
