/**
 * Response bodies and stream events of the TTS endpoints (jobs, results, batches, the SSE
 * stream), stated once here for the OpenAPI document; test/openapi.test.ts checks real
 * responses against them.
 */
import { z } from 'zod';
import { AUDIO_FORMATS, type AudioFormat } from '../../audio/formats.js';
import { errorDetailSchema } from './error-envelope.js';

const formats = AUDIO_FORMATS as unknown as [AudioFormat, ...AudioFormat[]];
/** A balance, or null where the caller has none (open mode, anonymous). */
const creditsRemaining = z.number().nullable();
const uuid = z.string().regex(/^[0-9a-f]{32}$/);

export const jobCreatedResponse = z.strictObject({
  uuid: uuid.meta({ description: 'Poll GET /v1/speech/results/?uuid=… with it.' }),
  job_id: z.string().meta({ description: "The job's public id; `uuid` is what polling takes." }),
  status: z.literal('queued'),
  credits_used: z.number(),
  credits_remaining: creditsRemaining,
});

export const jobResultResponse = z.union([
  z.strictObject({ status: z.enum(['queued', 'processing']) }),
  z.strictObject({ status: z.literal('failed'), error: z.string() }),
  z.strictObject({
    status: z.literal('completed'),
    result_url: z.string().meta({ description: 'Absolute URL of the audio file (a capability URL: whoever has it can download). With S3 results and LLAIS_S3_PRESIGN, a presigned bucket URL valid until expires_at (at most 7 days).' }),
    duration: z.number().nullable().meta({ description: 'Seconds of audio.' }),
    format: z.enum(formats),
    model: z.string(),
    voice: z.string(),
    expires_at: z.string().nullable().meta({ description: 'When the file is deleted, ISO 8601.' }),
  }),
]);

const word = z.strictObject({ word: z.string(), start: z.number(), end: z.number() });

/** What `POST /v1/tts/stream/` (and `/v1/audio/speech` with `stream_format: "sse"`) sends. */
export const speechSseEvents = {
  'speech.audio.delta': z.strictObject({ type: z.literal('speech.audio.delta'), audio: z.string().meta({ description: 'Base64 audio: PCM16 LE mono 24 kHz, or whole frames of the asked format.' }) }),
  'speech.word': z.strictObject({ type: z.literal('speech.word'), ...word.shape }).meta({ description: 'A word and its times in seconds, when the engine reports them.' }),
  'speech.audio.done': z.strictObject({
    type: z.literal('speech.audio.done'),
    uuid,
    duration: z.number(),
    format: z.enum(formats),
    model: z.string(),
    voice: z.string(),
    credits_used: z.number(),
    credits_remaining: creditsRemaining,
    usage: z.strictObject({ input_characters: z.number().int(), output_audio_seconds: z.number() }),
  }),
  error: z.strictObject({ type: z.literal('error'), error: errorDetailSchema() }).meta({ description: 'The stream failed after it had started; the stream ends.' }),
};

const batchItem = z.union([
  z.strictObject({ index: z.number().int(), uuid, status: z.literal('completed'), result_url: z.string() }),
  z.strictObject({ index: z.number().int(), uuid, status: z.enum(['failed', 'expired']), error: z.string() }),
]);

export const batchCreatedResponse = z.strictObject({
  batch_id: z.string(),
  total: z.number().int(),
  completed: z.literal(0),
  status: z.literal('processing'),
  credits_used: z.number(),
  credits_remaining: creditsRemaining,
});

export const batchResultResponse = z.strictObject({
  batch_id: z.string(),
  total: z.number().int(),
  completed: z.number().int(),
  status: z.enum(['processing', 'completed']),
  credits_used: z.number(),
  items: z.array(batchItem).optional().meta({ description: 'Once every item has finished.' }),
  credits_remaining: creditsRemaining,
  webhook: z
    .strictObject({ status: z.string(), attempts: z.number().int(), last_error: z.string().nullable() })
    .optional()
    .meta({ description: "The completion webhook's delivery, when the batch has a webhook_url." }),
});

/** The signed POST a batch's `webhook_url` receives when the batch completes (docs/webhooks.md). */
export const batchWebhookBody = batchResultResponse.omit({ credits_remaining: true, webhook: true });
