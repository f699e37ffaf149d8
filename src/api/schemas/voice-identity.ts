/**
 * The multipart forms and JSON responses of the voice-identity endpoints (docs/voice-identity.md),
 * stated for the OpenAPI document; the handlers check the fields one by one as they stream in,
 * against the same lists used here.
 */
import { z } from 'zod';
import { TAGGED_FORMATS } from '../../voice/tagged-audio.js';
import { CONVERT_MODELS, MAX_PITCH_SHIFT } from '../voice-convert.js';
import { EMBED_MODELS } from '../voice-embed.js';
import { EMOTIONS } from '../../voice/emotion-prosody.js';
import { MAX_SPEED, MIN_SPEED, STS_MODELS } from '../speech-to-speech.js';
import { CLONE_MODELS } from '../tts-clone.js';

const audioFile = (description: string): z.ZodType => z.file().meta({ description });

/** `POST /v1/voice-embed/`. */
export const voiceEmbedForm = z.object({
  file: audioFile('10-30 s of one person speaking (≤20 MB, ≤120 s, at least 2 s of voiced speech).'),
  model: z.enum(EMBED_MODELS).default('chatterbox').meta({ description: 'The cloning model the embedding is meant for; recorded with it. `extractor` in the answer says what computed it.' }),
});

export const voiceEmbedResponse = z.strictObject({
  embed_id: z.string().meta({ description: '`emb_` and 24 hex digits; usable only with the key of the account that made it.' }),
  model: z.string(),
  duration_ms: z.number().int().meta({ description: 'How long the request took.' }),
  extractor: z.string().meta({ description: 'What computed the embedding: an installed speaker model (`wespeaker-resnet34`, `3dspeaker-campplus`) or the embedded statistics (`llais-mfcc-f0-stats-v1`).' }),
  audio_duration_sec: z.number().meta({ description: 'Seconds of audio it was computed from.' }),
});

export const voiceEmbedList = z.strictObject({
  embeddings: z.array(
    z.strictObject({ embed_id: z.string(), model: z.string(), extractor: z.string(), audio_duration_sec: z.number(), created_at: z.string().meta({ description: 'ISO 8601.' }) }),
  ),
  total: z.number().int(),
});

export const voiceEmbedDeleted = z.strictObject({ embed_id: z.string(), deleted: z.literal(true) });

const targetVoice = z.string().meta({ description: 'A stored voice of the caller (`emb_…` from /v1/voice-embed/) or a built-in voice id (GET /v1/voices/).' });
const taggedFormat = z.enum(TAGGED_FORMATS).default('wav').meta({ description: 'The file carries a metadata comment saying it is synthetic (WAV LIST/INFO, ID3, Vorbis comment).' });

/** `POST /v1/voice-convert/`. */
export const voiceConvertForm = z.object({
  file: audioFile('The recording to convert (MP3/WAV/FLAC or anything ffmpeg decodes; ≤50 MB, ≤600 s).'),
  target_voice: targetVoice,
  model: z.enum(CONVERT_MODELS).default('openvoice').meta({ description: 'Recorded; the embedded converter runs (`X-Llais-Converter`) until a neural one is installed.' }),
  format: taggedFormat,
  pitch_shift: z.string().optional().meta({ description: `Semitones added after the voice's own pitch is matched, -${MAX_PITCH_SHIFT} to ${MAX_PITCH_SHIFT}.` }),
});

/** `POST /v1/speech-to-speech/`. */
export const speechToSpeechForm = z.object({
  file: audioFile('The recording (≤50 MB, ≤600 s).'),
  voice: targetVoice.optional().meta({ description: "The new voice: a stored voice (`emb_…`) or a built-in voice id; absent: the speaker's own." }),
  model: z.enum(STS_MODELS).default('openvoice').meta({ description: 'Recorded; the embedded converter runs.' }),
  emotion: z.enum(EMOTIONS).default('neutral').meta({ description: 'Prosody: pitch level and range, rate, energy (docs/voice-identity.md).' }),
  speed: z.string().optional().meta({ description: `${MIN_SPEED} to ${MAX_SPEED}; default 1.` }),
  format: taggedFormat,
});

/** `POST /v1/speech-translate/`. */
export const speechTranslateForm = z.object({
  file: audioFile('The speech (≤100 MB, ≤30 min).'),
  target_language: z.string().meta({ description: 'Language code of the translation, e.g. `fr`, `de`, `pt-br`.' }),
  voice: z.string().optional().meta({ description: 'The voice that speaks the translation; default: the default voice for the target language.' }),
  preserve_voice: z.enum(['true', 'false']).default('false').meta({ description: "Convert the spoken translation toward the speaker's own voice." }),
});

export const speechTranslateResponse = z.strictObject({
  original_text: z.string(),
  translated_text: z.string(),
  source_language: z.string(),
  target_language: z.string(),
  audio_url: z.string().meta({ description: 'The spoken translation (MP3, tagged as synthetic), a result file like a TTS job\'s.' }),
  credits_used: z.number().int(),
});

/** `POST /v1/tts/clone/`. */
export const ttsCloneForm = z.object({
  reference_audio: audioFile('The voice to clone: 10-30 s of one person (≤20 MB, ≤120 s). Or send `embed_id`.').optional(),
  embed_id: z.string().optional().meta({ description: 'A stored voice of the caller (from /v1/voice-embed/), instead of `reference_audio`.' }),
  text: z.string().meta({ description: 'What to say.' }),
  model: z.enum(CLONE_MODELS).default('chatterbox').meta({ description: 'With F5-TTS installed (`llais models pull f5-tts`) and a `reference_audio` upload, F5-TTS clones (`X-Llais-Cloner: f5-tts`); `f5-tts` without it installed is a 424. Otherwise recorded, and the nearest built-in voice is converted toward the reference (`X-Llais-Cloner: base-voice+conversion`, `X-Llais-Base-Voice`).' }),
  reference_text: z.string().optional().meta({ description: 'What the reference says (F5-TTS continues it); transcribed by the server when absent. Unused without F5-TTS.' }),
  format: z.enum(TAGGED_FORMATS).default('mp3'),
  language: z.string().optional().meta({ description: 'Language of the text; detected when absent.' }),
});
