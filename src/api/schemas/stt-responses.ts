/**
 * Response bodies and stream events of speech to text, voice chat and saved pronunciations,
 * stated once here for the OpenAPI document.
 */
import { z } from 'zod';
import { errorDetailSchema } from './error-envelope.js';

const word = z.strictObject({ word: z.string(), start: z.number(), end: z.number() });
const durationUsage = z.strictObject({ type: z.literal('duration'), seconds: z.number().int() });

export const sttResponse = z.strictObject({
  credits_used: z.number(),
  credits_remaining: z.number().nullable(),
  text: z.string(),
  language: z.string(),
  duration: z.number().meta({ description: 'Seconds of audio.' }),
  segments: z.array(
    z.strictObject({
      start: z.number(),
      end: z.number(),
      text: z.string(),
      speaker: z.string().nullable().meta({ description: 'The speaker label with diarize=true, else null.' }),
      words: z.array(word).optional().meta({ description: 'With timestamps=true.' }),
    }),
  ),
});

/** OpenAI's `json` transcription. */
export const transcriptionJson = z.strictObject({ text: z.string(), usage: durationUsage });

/** OpenAI's `verbose_json` transcription or translation. */
export const transcriptionVerbose = z.strictObject({
  task: z.enum(['transcribe', 'translate']),
  language: z.string().meta({ description: "The language's English name, as Whisper reports it ('english')." }),
  duration: z.number(),
  text: z.string(),
  usage: durationUsage,
  segments: z
    .array(
      z.strictObject({
        id: z.number().int(),
        seek: z.number(),
        start: z.number(),
        end: z.number(),
        text: z.string(),
        tokens: z.array(z.number()),
        temperature: z.number(),
        avg_logprob: z.number().nullable(),
        compression_ratio: z.number().nullable(),
        no_speech_prob: z.number().nullable(),
        speaker: z.string().optional(),
      }),
    )
    .optional(),
  words: z.array(word).optional().meta({ description: "With timestamp_granularities[]=word." }),
});

/** What `POST /v1/audio/transcriptions` with `stream=true` sends. */
export const transcriptionSseEvents = {
  'transcript.text.delta': z.strictObject({ type: z.literal('transcript.text.delta'), delta: z.string() }),
  'transcript.text.done': z.strictObject({ type: z.literal('transcript.text.done'), text: z.string(), usage: durationUsage }),
  error: z.strictObject({ type: z.literal('error'), error: errorDetailSchema() }),
};

export const voiceChatResponse = z.strictObject({
  conversation_id: z.string().meta({ description: 'Send it with the next turn to continue the conversation.' }),
  user_text: z.string(),
  ai_text: z.string(),
  audio_url: z.string().meta({ description: "Absolute URL of the spoken reply's audio file." }),
  credits_used: z.number(),
  credits_remaining: z.number().nullable(),
});

export const pronunciationEntry = z.strictObject({
  id: z.number().int(),
  word: z.string(),
  replacement: z.string(),
  language: z.string().nullable(),
  case_sensitive: z.boolean(),
  created_at: z.string(),
});

export const pronunciationList = z.strictObject({ pronunciations: z.array(pronunciationEntry), total: z.number().int() });

export const pronunciationDeleted = z.strictObject({ id: z.number().int(), deleted: z.literal(true) });
