/** Operations of text to speech: jobs, streams, batches, results, downloads, subtitles. */
import { z } from 'zod';
import { MAX_BATCH_ITEMS } from '../batch.js';
import { batchCreatedResponse, batchResultResponse, batchWebhookBody, jobCreatedResponse, jobResultResponse, speechSseEvents } from '../schemas/speech-responses.js';
import { nativeTtsBodySchema, openAiSpeechBodySchema } from '../tts-request.js';
import { audioContent, sseContent } from './audio-content.js';
import { jsonSchemaOf, messageSchemas, type Json } from './json-schema.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

const TAG = 'Text to speech';
const UUID = { type: 'string', pattern: '^[0-9a-f]{32}$' };
/** Statuses of a synthesis request: bad body, credits, size, content type, model not installed. */
const SYNTHESIS_ERRORS = [400, 402, 413, 415, 424];

function jsonBody(schema: z.ZodType): Json {
  return { required: true, content: { 'application/json': { schema: jsonSchemaOf(schema, 'input') } } };
}

const batchBody = z.object({
  texts: z.array(nativeTtsBodySchema).min(1).max(MAX_BATCH_ITEMS).meta({ description: "Each item is a POST /v1/tts/ body (without 'stream')." }),
  webhook_url: z.string().optional().meta({ description: 'Receives the signed batchCompleted webhook; public http(s) targets only.' }),
});

/** The events of the speech SSE stream, as `x-sse-events`. */
function speechEvents(): Json {
  return { 'x-sse-events': messageSchemas(speechSseEvents, 'output') };
}

export function speechOperations(): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/v1/tts',
      operationId: 'createSpeechJob',
      summary: 'Queue a synthesis job (or stream the audio with stream: true)',
      tag: TAG,
      requestBody: jsonBody(nativeTtsBodySchema),
      responses: {
        200: {
          description: 'The queued job (poll GET /v1/speech/results/), or with `stream: true` the audio itself, chunked as it is synthesized.',
          content: { 'application/json': { schema: jsonSchemaOf(jobCreatedResponse, 'output') }, ...audioContent() },
        },
      },
      errors: SYNTHESIS_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/tts/stream',
      operationId: 'streamSpeech',
      summary: 'Stream synthesis as server-sent events',
      description: "Audio deltas as they are synthesized (raw PCM16 24 kHz unless `format` is given), word times where the engine has them, then `speech.audio.done`. Every 4xx comes before the first event.",
      tag: TAG,
      requestBody: jsonBody(nativeTtsBodySchema),
      responses: { 200: { description: 'The event stream.', content: sseContent() } },
      errors: SYNTHESIS_ERRORS,
      extensions: speechEvents(),
    },
    {
      method: 'post',
      path: '/v1/audio/speech',
      operationId: 'createSpeechOpenAi',
      summary: "OpenAI's speech endpoint",
      description: "OpenAI's body; `stream_format: \"sse\"` answers with the events of /v1/tts/stream/.",
      tag: TAG,
      requestBody: jsonBody(openAiSpeechBodySchema),
      responses: { 200: { description: 'The audio, chunked as it is synthesized, or the event stream.', content: { ...audioContent(), ...sseContent() } } },
      errors: SYNTHESIS_ERRORS,
      extensions: speechEvents(),
    },
    {
      method: 'post',
      path: '/v1/tts/batch',
      operationId: 'createSpeechBatch',
      summary: `Queue up to ${MAX_BATCH_ITEMS} jobs at once`,
      description: 'All items are validated, planned and paid for before any is queued: one bad item (its `param` names it, e.g. `texts[3].voice`) or a short balance leaves nothing behind.',
      tag: TAG,
      requestBody: jsonBody(batchBody),
      responses: { 200: jsonResponse('The batch, processing.', jsonSchemaOf(batchCreatedResponse, 'output')) },
      errors: SYNTHESIS_ERRORS,
    },
    {
      method: 'get',
      path: '/v1/tts/batch/result',
      operationId: 'getSpeechBatch',
      summary: "A batch's progress and, once complete, its items",
      tag: TAG,
      parameters: [param('query', 'batch_id', { type: 'string' }, 'From POST /v1/tts/batch/.', true)],
      responses: { 200: jsonResponse('The batch.', jsonSchemaOf(batchResultResponse, 'output')) },
      errors: [400, 404],
    },
    {
      method: 'get',
      path: '/v1/speech/results',
      operationId: 'getSpeechResult',
      summary: "A job's status and, once completed, its result URL",
      tag: TAG,
      parameters: [param('query', 'uuid', UUID, 'From POST /v1/tts/.', true)],
      responses: { 200: jsonResponse('The job.', jsonSchemaOf(jobResultResponse, 'output')) },
      errors: [400, 404],
    },
    {
      method: 'get',
      path: '/static/downloads/{uuid}/{file}',
      operationId: 'downloadSpeechResult',
      summary: "A finished job's audio file (Range requests supported)",
      tag: TAG,
      parameters: [
        param('path', 'uuid', UUID, "The job's uuid."),
        param('path', 'file', { type: 'string', pattern: '^output\\.[a-z0-9]+$' }, '`output.<format>`.'),
        param('header', 'Range', { type: 'string' }, 'One range, `bytes=a-b`, `bytes=a-` or `bytes=-n`.', false),
      ],
      responses: {
        200: { description: 'The whole file.', content: audioContent() },
        206: { description: 'The requested range.', content: audioContent() },
        416: { description: 'The range is outside the file (no body).' },
      },
      errors: [404],
    },
    {
      method: 'get',
      path: '/v1/speech/subtitles',
      operationId: 'getSpeechSubtitles',
      summary: 'SRT or WebVTT subtitles for a finished job',
      description: 'Timed by the engine where it reports word times, else by forced alignment with the recognizer (the `X-Subtitle-Timing` header says which).',
      tag: TAG,
      parameters: [
        param('query', 'uuid', UUID, "The job's uuid.", true),
        param('query', 'format', { type: 'string', enum: ['srt', 'vtt'], default: 'srt' }, 'Subtitle format.'),
        param('query', 'language', { type: 'string' }, "The recognizer's language for alignment; the job's by default."),
        param('query', 'download', { type: 'string', enum: ['1'] }, 'Send as an attachment.'),
      ],
      responses: { 200: { description: 'The subtitles.', content: { 'application/x-subrip': { schema: { type: 'string' } }, 'text/vtt': { schema: { type: 'string' } } } } },
      errors: [400, 404, 409, 424],
    },
  ];
}

/** `webhooks` of the document: what a batch's `webhook_url` receives. */
export function speechWebhooks(): Json {
  return {
    batchCompleted: {
      post: {
        summary: 'A batch has completed (docs/webhooks.md)',
        description: 'Signed with the account webhook secret in `X-Llais-Signature`; retried with back-off until a 2xx.',
        parameters: [param('header', 'X-Llais-Signature', { type: 'string' }, 'The HMAC signature and its timestamp.', true)],
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(batchWebhookBody, 'output') } } },
        responses: { 200: { description: 'Any 2xx acknowledges the delivery.' } },
      },
    },
  };
}
