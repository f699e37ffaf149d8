/**
 * The TTS request bodies (ours and OpenAI's), validated once into one `SpeechSpec` that the
 * streaming endpoints and the job queue share.
 */
import { z } from 'zod';
import { AUDIO_FORMATS, type AudioFormat } from '../audio/formats.js';
import { ApiError } from '../errors.js';
import { numberIn, parseBody } from '../schema.js';
import { parsePronunciations } from '../text/pronunciations.js';
import type { SpeechSpec, TtsLimits } from '../tts/speech-spec.js';

const LANGUAGE = z.string().regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/, { error: "'language' must be a language code such as 'en', 'en-US' or 'cy'" });

const formats = AUDIO_FORMATS as unknown as [AudioFormat, ...AudioFormat[]];

const nativeBody = z.object({
  text: z.string(),
  model: z.string().min(1).optional(),
  voice: z.string().min(1),
  format: z.enum(formats).default('mp3'),
  speed: numberIn('speed', 0.5, 2.0).default(1),
  language: LANGUAGE.optional(),
  instructions: z.string().max(500, { error: "'instructions' must be at most 500 characters" }).optional(),
  pronunciations: z.unknown().optional(),
  stream: z.boolean().default(false),
});

const openAiBody = z.object({
  model: z.string().min(1),
  input: z.string(),
  voice: z.union([z.string().min(1), z.object({ id: z.string().min(1) }).transform((v) => v.id)]),
  instructions: z.string().max(4096, { error: "'instructions' must be at most 4096 characters" }).optional(),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).default('mp3'),
  speed: numberIn('speed', 0.25, 4.0).default(1),
  stream_format: z.enum(['audio', 'sse']).default('audio'),
  language: LANGUAGE.optional(),
});

function checkText(text: string, param: string, limits: TtsLimits): void {
  if (text.trim().length === 0) throw new ApiError('empty_text', `'${param}' must not be empty`, param);
  if (text.length > limits.maxTextChars) {
    throw new ApiError('text_too_long', `'${param}' is ${text.length} characters; the limit is ${limits.maxTextChars}`, param);
  }
}

function normalizeLanguage(lang: string | undefined): string | undefined {
  return lang?.replace('_', '-').toLowerCase();
}

/**
 * `input` is accepted for `text` (the seed's JS SDK sends `input`, as OpenAI's body does): the
 * body with `input` moved to `text`, and the name the caller used, for error messages. Both sent
 * and different is ambiguous, so a 400 rather than a guess.
 */
function foldInputAlias(body: unknown): { body: unknown; textParam: 'text' | 'input' } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body, textParam: 'text' };
  const { input, ...rest } = body as Record<string, unknown>;
  if (input === undefined) return { body, textParam: 'text' };
  if (typeof input !== 'string') throw new ApiError('invalid_type', "'input' must be a string (it is another name for 'text')", 'input');
  if (rest.text !== undefined && rest.text !== input) {
    throw new ApiError('conflicting_parameters', "'input' is another name for 'text'; send one of them, or the same text in both", 'input');
  }
  return { body: { ...rest, text: input }, textParam: rest.text === undefined ? 'input' : 'text' };
}

/** `POST /v1/tts/`, `/v1/tts/stream/`: our body (`input` accepted as another name for `text`). */
export function parseNativeTts(body: unknown, limits: TtsLimits): { spec: SpeechSpec; stream: boolean } {
  const folded = foldInputAlias(body);
  const b = parseBody(nativeBody, folded.body);
  checkText(b.text, folded.textParam, limits);
  return {
    stream: b.stream,
    spec: {
      text: b.text,
      model: b.model ?? '',
      voice: b.voice,
      format: b.format,
      speed: b.speed,
      language: normalizeLanguage(b.language),
      instructions: b.instructions,
      pronunciations: b.pronunciations === undefined ? [] : parsePronunciations(b.pronunciations),
    },
  };
}

/** `POST /v1/audio/speech`: OpenAI's body. */
export function parseOpenAiSpeech(body: unknown, limits: TtsLimits): { spec: SpeechSpec; sse: boolean } {
  const b = parseBody(openAiBody, body);
  checkText(b.input, 'input', limits);
  return {
    sse: b.stream_format === 'sse',
    spec: {
      text: b.input,
      model: b.model,
      voice: b.voice,
      format: b.response_format,
      speed: b.speed,
      language: normalizeLanguage(b.language),
      instructions: b.instructions,
      pronunciations: [],
    },
  };
}

/** The two bodies' schemas, for the OpenAPI document (src/api/openapi/). */
export { nativeBody as nativeTtsBodySchema, openAiBody as openAiSpeechBodySchema };
