/**
 * `GET /v1/voices/preview/<id>.mp3` (API.md's `preview_url`; any audio format's extension) and
 * `GET /v1/voices/<id>/preview?format=`: a short sample of a voice in its own language,
 * synthesized on request (tens of milliseconds on the built-in engines) so every listed voice
 * can be heard.
 */
import { isAudioFormat } from '../audio/formats.js';
import { ApiError } from '../errors.js';
import type { HttpExchange } from '../http/exchange.js';
import { requestLogger, type ApiContext } from './context.js';
import { streamAudio } from './speech-stream.js';

/** Greetings for the common languages; others count in their own language (eSpeak reads digits). */
const SAMPLES: Record<string, string> = {
  en: 'Hello! This is how I sound. I hope you like my voice.',
  cy: "Shwmae! Dyma sut dw i'n swnio. Gobeithio eich bod chi'n hoffi fy llais.",
  fr: "Bonjour ! Voici ma voix. J'espère qu'elle vous plaît.",
  de: 'Hallo! So klingt meine Stimme. Ich hoffe, sie gefällt Ihnen.',
  es: '¡Hola! Así suena mi voz. Espero que te guste.',
  it: 'Ciao! Questa è la mia voce. Spero che ti piaccia.',
  pt: 'Olá! Esta é a minha voz. Espero que goste.',
  nl: 'Hallo! Zo klinkt mijn stem. Ik hoop dat je hem mooi vindt.',
  pl: 'Cześć! Tak brzmi mój głos.',
  ru: 'Привет! Так звучит мой голос.',
  sv: 'Hej! Så här låter min röst.',
  tr: 'Merhaba! Sesim böyle.',
};

export function sampleText(language: string): string {
  return SAMPLES[language.toLowerCase().split('-')[0]!] ?? '1, 2, 3, 4, 5.';
}

/** The contract's preview path of a voice, under the server's base URL. */
export function previewPath(voiceId: string): string {
  return `/v1/voices/preview/${encodeURIComponent(voiceId)}.mp3`;
}

/** `GET /v1/voices/:id/preview?format=`. */
export function voicePreview(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  return speakPreview(ctx, ex, ex.params.id ?? '', ex.query.get('format') ?? 'mp3');
}

/** `GET /v1/voices/preview/:file`: the file name is `<voice id>.<format>`; voice ids may hold dots, so the last one splits. */
export function voicePreviewFile(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const file = ex.params.file ?? '';
  const dot = file.lastIndexOf('.');
  if (dot <= 0) throw new ApiError('not_found', `No preview '${file}': the path is /v1/voices/preview/<voice id>.mp3`, 'id');
  return speakPreview(ctx, ex, file.slice(0, dot), file.slice(dot + 1).toLowerCase());
}

async function speakPreview(ctx: ApiContext, ex: HttpExchange, voiceId: string, format: string): Promise<void> {
  const voice = ctx.tts.findVoice(voiceId);
  if (!voice) throw new ApiError('not_found', `No voice '${voiceId}'. GET /v1/voices/ lists them.`, 'id');
  if (!isAudioFormat(format)) throw new ApiError('invalid_value', "The preview's format must be one of: mp3, wav, flac, ogg, opus, aac, pcm", 'format');
  const planned = ctx.tts.plan({ text: sampleText(voice.language), model: voice.model, voice: voice.id, format, speed: 1, language: voice.language, pronunciations: [] });
  await streamAudio(ex, planned, requestLogger(ctx, ex));
}
