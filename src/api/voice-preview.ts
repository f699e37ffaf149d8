/**
 * `GET /v1/voices/<id>/preview`: a short sample of a voice in its own language, synthesized on
 * request (tens of milliseconds on the built-in engines) so every listed voice can be heard.
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

export async function voicePreview(ctx: ApiContext, ex: HttpExchange): Promise<void> {
  const voice = ctx.tts.findVoice(ex.params.id ?? '');
  if (!voice) throw new ApiError('not_found', `No voice '${ex.params.id}'. GET /v1/voices/ lists them.`, 'id');
  const format = ex.query.get('format') ?? 'mp3';
  if (!isAudioFormat(format)) throw new ApiError('invalid_value', "'format' must be one of: mp3, wav, flac, ogg, opus, aac, pcm", 'format');
  const planned = ctx.tts.plan({ text: sampleText(voice.language), model: voice.model, voice: voice.id, format, speed: 1, language: voice.language, pronunciations: [] });
  await streamAudio(ex, planned, requestLogger(ctx, ex));
}
