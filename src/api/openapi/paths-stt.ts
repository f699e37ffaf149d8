/** Operations of speech to text, voice chat and saved pronunciations. */
import { z } from 'zod';
import { newPronunciationSchema } from '../pronunciations.js';
import { sttForm, transcriptionForm, voiceChatForm } from '../schemas/stt-forms.js';
import { pronunciationDeleted, pronunciationEntry, pronunciationList, sttResponse, transcriptionJson, transcriptionSseEvents, transcriptionVerbose, voiceChatResponse } from '../schemas/stt-responses.js';
import { voiceChatFieldsSchema } from '../voice-chat-request.js';
import { sseContent } from './audio-content.js';
import { jsonSchemaOf, messageSchemas, type Json } from './json-schema.js';
import { toolJobAccepted } from '../schemas/audio-tools.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

/** Statuses of an upload: bad field, credits, too large, not audio, unusable audio, model not installed. */
const UPLOAD_ERRORS = [400, 402, 413, 415, 422, 424];

function multipart(schema: z.ZodType): Json {
  return { required: true, content: { 'multipart/form-data': { schema: jsonSchemaOf(schema, 'input') } } };
}

function transcriptionResponses(): Record<string, Json> {
  const text = { schema: { type: 'string' } };
  return {
    200: {
      description: "By `response_format`: `json` (default), `verbose_json`, `text`, `srt` or `vtt`; with `stream=true`, server-sent events.",
      content: {
        'application/json': { schema: { anyOf: [jsonSchemaOf(transcriptionJson, 'output'), jsonSchemaOf(transcriptionVerbose, 'output')] } },
        'text/plain': text,
        'application/x-subrip': text,
        'text/vtt': text,
        ...sseContent(),
      },
    },
  };
}

export function sttOperations(): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/v1/stt',
      operationId: 'transcribe',
      summary: 'Transcribe an uploaded file',
      description: 'Fields sent before the file are checked before the file is read; a full pool answers 503 before the body is received. With `diarize=true`, `X-Llais-Diarizer` names what labelled the speakers: an installed speaker-embedding model (`wespeaker-resnet34`, `3dspeaker-campplus`) or `llais-mfcc-stats-v1`.',
      tag: 'Speech to text',
      requestBody: multipart(sttForm),
      responses: {
        200: jsonResponse('The transcript.', jsonSchemaOf(sttResponse, 'output')),
        202: jsonResponse('`async=true` (a Llais extension): the job to poll at GET /v1/audio/jobs/{id}.', jsonSchemaOf(toolJobAccepted, 'output')),
      },
      errors: UPLOAD_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/audio/transcriptions',
      operationId: 'createTranscriptionOpenAi',
      summary: "OpenAI's transcription endpoint",
      tag: 'Speech to text',
      requestBody: multipart(transcriptionForm),
      responses: transcriptionResponses(),
      errors: UPLOAD_ERRORS,
      extensions: { 'x-sse-events': messageSchemas(transcriptionSseEvents, 'output') },
    },
    {
      method: 'post',
      path: '/v1/audio/translations',
      operationId: 'createTranslationOpenAi',
      summary: "OpenAI's translation endpoint (speech to English text)",
      tag: 'Speech to text',
      requestBody: multipart(transcriptionForm.omit({ stream: true, 'timestamp_granularities[]': true })),
      responses: transcriptionResponses(),
      errors: UPLOAD_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/voice-chat',
      operationId: 'voiceChatTurn',
      summary: 'One turn of a spoken conversation',
      description: "What the user said (`text`, or an `audio` file as multipart) → transcription → the LLM → the reply spoken into an audio file. Send `conversation_id` to continue a conversation.",
      tag: 'Voice chat',
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: jsonSchemaOf(voiceChatFieldsSchema, 'input') },
          'multipart/form-data': { schema: jsonSchemaOf(voiceChatForm, 'input') },
        },
      },
      responses: { 200: jsonResponse('The turn.', jsonSchemaOf(voiceChatResponse, 'output')) },
      errors: [...UPLOAD_ERRORS, 404, 502],
    },
    {
      method: 'get',
      path: '/api/v1/pronunciations',
      operationId: 'listPronunciations',
      summary: "The caller's saved pronunciations",
      tag: 'Accounts',
      responses: { 200: jsonResponse('The entries, applied to every synthesis of the account.', jsonSchemaOf(pronunciationList, 'output')) },
    },
    {
      method: 'post',
      path: '/api/v1/pronunciations',
      operationId: 'addPronunciation',
      summary: 'Save a pronunciation',
      tag: 'Accounts',
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(newPronunciationSchema, 'input') } } },
      responses: { 200: jsonResponse('The new entry.', jsonSchemaOf(pronunciationEntry, 'output')) },
      errors: [400, 409, 413, 415],
    },
    {
      method: 'delete',
      path: '/api/v1/pronunciations',
      operationId: 'deletePronunciation',
      summary: 'Delete a saved pronunciation',
      tag: 'Accounts',
      parameters: [param('query', 'id', { type: 'integer', minimum: 1 }, 'The entry id.', true)],
      responses: { 200: jsonResponse('Deleted.', jsonSchemaOf(pronunciationDeleted, 'output')) },
      errors: [400, 404],
    },
  ];
}
