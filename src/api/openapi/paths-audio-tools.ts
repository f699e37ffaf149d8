/** Operations of the audio tools: convert and analyze (free: no credits). */
import { z } from 'zod';
import { CONVERT_FORMATS, convertContentType, type ConvertFormat } from '../../audio/transcode.js';
import { analyzeForm, analyzeResponse, convertForm } from '../schemas/audio-tools.js';
import { jsonSchemaOf, type Json } from './json-schema.js';
import { jsonResponse, type OperationSpec } from './operation.js';

/** Statuses of an upload: bad field, too large, not audio, unusable audio. */
const UPLOAD_ERRORS = [400, 413, 415, 422];

function multipart(schema: z.ZodType): Json {
  return { required: true, content: { 'multipart/form-data': { schema: jsonSchemaOf(schema, 'input') } } };
}

function convertedContent(): Json {
  const types = [...new Set(CONVERT_FORMATS.map((f) => convertContentType(f as ConvertFormat)))];
  return Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]));
}

export function audioToolOperations(): OperationSpec[] {
  return [
    {
      method: 'post',
      path: '/v1/audio/convert',
      operationId: 'convertAudio',
      summary: 'Convert an audio file (free)',
      description:
        'Streamed back as ffmpeg writes it: WAV with open-ended sizes, FLAC without a sample count, M4A as fragmented MP4. A file that is not decodable audio is refused (415/422) before anything is sent.',
      tag: 'Audio tools',
      requestBody: multipart(convertForm),
      responses: { 200: { description: 'The converted file.', content: convertedContent() } },
      errors: UPLOAD_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/audio/analyze',
      operationId: 'analyzeAudio',
      summary: 'Key, tempo and time signature of a piece of music (free)',
      description: 'Key from chroma matched to key profiles, BPM from the onset-strength envelope, time signature from beat accents.',
      tag: 'Audio tools',
      requestBody: multipart(analyzeForm),
      responses: { 200: jsonResponse('The analysis.', jsonSchemaOf(analyzeResponse, 'output')) },
      errors: UPLOAD_ERRORS,
    },
  ];
}
