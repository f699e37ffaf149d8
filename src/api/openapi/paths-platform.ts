/** Operations of discovery, voice previews, metrics and this document itself. */
import { AUDIO_FORMATS } from '../../audio/formats.js';
import { healthResponse, modelsResponse, voicesResponse } from '../schemas/platform-responses.js';
import { audioContent } from './audio-content.js';
import { jsonSchemaOf } from './json-schema.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

const TAG = 'Platform';

export function platformOperations(): OperationSpec[] {
  return [
    {
      method: 'get',
      path: '/v1/health',
      operationId: 'getHealth',
      summary: 'Server health',
      description: 'A real one-word synthesis through the default engine, cached for `healthCacheSeconds`. 503 with the same body when it failed.',
      tag: TAG,
      responses: {
        200: jsonResponse('The server is online.', jsonSchemaOf(healthResponse, 'output')),
        503: jsonResponse('Degraded (the health body), or shutting down (the error envelope).', { anyOf: [jsonSchemaOf(healthResponse, 'output'), { $ref: '#/components/schemas/ErrorEnvelope' }] }),
      },
    },
    {
      method: 'get',
      path: '/v1/models',
      operationId: 'listModels',
      summary: 'Models, installed or installable',
      tag: TAG,
      responses: { 200: jsonResponse('Text-to-speech and speech-to-text models.', jsonSchemaOf(modelsResponse, 'output')) },
    },
    {
      method: 'get',
      path: '/v1/voices',
      operationId: 'listVoices',
      summary: 'Voices of the installed models',
      tag: TAG,
      parameters: [
        param('query', 'model', { type: 'string' }, 'Only voices of this model.'),
        param('query', 'language', { type: 'string' }, "'en' matches en-us and en-gb; 'en-us' only itself."),
        param('query', 'gender', { type: 'string', enum: ['male', 'female', 'neutral'] }, 'Only voices of this gender.'),
      ],
      responses: { 200: jsonResponse('The voices.', jsonSchemaOf(voicesResponse, 'output')) },
      errors: [400],
    },
    {
      method: 'get',
      path: '/v1/voices/{id}/preview',
      operationId: 'previewVoice',
      summary: 'A short sample of a voice',
      tag: TAG,
      parameters: [param('path', 'id', { type: 'string' }, 'A voice id from GET /v1/voices/.'), param('query', 'format', { type: 'string', enum: [...AUDIO_FORMATS], default: 'mp3' }, 'Audio format.')],
      responses: { 200: { description: 'The sample, streamed.', content: audioContent() } },
      errors: [400, 404, 424],
    },
    {
      method: 'get',
      path: '/v1/voices/preview/{file}',
      operationId: 'previewVoiceFile',
      summary: 'A short sample of a voice, by file name',
      tag: TAG,
      parameters: [param('path', 'file', { type: 'string' }, "'<voice id>.<format>', e.g. 'af_bella.mp3' (the preview_url GET /v1/voices/ lists).")],
      responses: { 200: { description: 'The sample, streamed.', content: audioContent() } },
      errors: [400, 404, 424],
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      tag: TAG,
      responses: { 200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      errors: [401],
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This document',
      tag: TAG,
      responses: { 200: jsonResponse('OpenAPI 3.1, generated from the schemas the server validates with.', { type: 'object' }) },
    },
    {
      method: 'get',
      path: '/docs',
      operationId: 'getDocs',
      summary: 'This document, rendered (Swagger UI, served locally)',
      tag: TAG,
      responses: { 200: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    {
      method: 'get',
      path: '/docs/assets/{file}',
      operationId: 'getDocsAsset',
      summary: "The docs page's script, styles and icon",
      tag: TAG,
      parameters: [param('path', 'file', { type: 'string' }, 'An asset the page names.')],
      responses: { 200: { description: 'The file.', content: { '*/*': { schema: { type: 'string' } } } } },
      errors: [404],
    },
    {
      method: 'get',
      path: '/',
      operationId: 'getPlayground',
      summary: 'The playground: speak, transcribe and talk live in the browser',
      tag: TAG,
      responses: { 200: { description: 'An HTML page (docs/playground.md).', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
    {
      method: 'get',
      path: '/playground/{file}',
      operationId: 'getPlaygroundAsset',
      summary: "The playground's scripts and styles",
      tag: TAG,
      parameters: [param('path', 'file', { type: 'string' }, 'A file the page names.')],
      responses: { 200: { description: 'The file.', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } } },
      errors: [404],
    },
  ];
}
