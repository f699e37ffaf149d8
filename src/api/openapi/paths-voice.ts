/** Operations of the voice-identity endpoints: stored voices, conversion, cloning, speech-to-speech, translation. */
import type { z } from 'zod';
import { voiceEmbedDeleted, voiceEmbedForm, voiceEmbedList, voiceEmbedResponse } from '../schemas/voice-identity.js';
import { jsonSchemaOf, type Json } from './json-schema.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

/** Statuses of a voice upload: bad field, too large, not audio, unusable audio (too short, silent, several speakers). */
const UPLOAD_ERRORS = [400, 413, 415, 422];
const TAG = 'Voice identity';

function multipart(schema: z.ZodType): Json {
  return { required: true, content: { 'multipart/form-data': { schema: jsonSchemaOf(schema, 'input') } } };
}

export function voiceOperations(): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/v1/voice-embed',
      operationId: 'embedVoice',
      summary: "Store a voice (speaker embedding) for the caller's account",
      description: 'The embedding and the voice statistics conversion needs are stored; `embed_id` reuses them in cloning, conversion and speech-to-speech. Free.',
      tag: TAG,
      requestBody: multipart(voiceEmbedForm),
      responses: { 200: jsonResponse('The stored voice.', jsonSchemaOf(voiceEmbedResponse, 'output')) },
      errors: [...UPLOAD_ERRORS, 409],
    },
    {
      method: 'get',
      path: '/v1/voice-embed',
      operationId: 'listVoiceEmbeddings',
      summary: "The caller's stored voices, newest first",
      tag: TAG,
      responses: { 200: jsonResponse('The stored voices.', jsonSchemaOf(voiceEmbedList, 'output')) },
    },
    {
      method: 'delete',
      path: '/v1/voice-embed',
      operationId: 'deleteVoiceEmbedding',
      summary: 'Delete a stored voice',
      tag: TAG,
      parameters: [param('query', 'embed_id', { type: 'string' }, 'The stored voice.', true)],
      responses: { 200: jsonResponse('Deleted.', jsonSchemaOf(voiceEmbedDeleted, 'output')) },
      errors: [400, 404],
    },
  ];
}
