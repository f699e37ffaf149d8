/** Operations of the audio tools: convert and analyze (free), enhance, dereverb, separate (per audio minute) and their async jobs. */
import { z } from 'zod';
import { CONVERT_FORMATS, convertContentType, type ConvertFormat } from '../../audio/transcode.js';
import {
  analyzeForm,
  analyzeResponse,
  convertForm,
  dereverbForm,
  enhanceForm,
  separateForm,
  separateResultResponse,
  toolJobAccepted,
  toolJobResponse,
  toolResultResponse,
} from '../schemas/audio-tools.js';
import { jsonSchemaOf, type Json } from './json-schema.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

/** Statuses of an upload: bad field, too large, not audio, unusable audio. */
const UPLOAD_ERRORS = [400, 413, 415, 422];

function multipart(schema: z.ZodType): Json {
  return { required: true, content: { 'multipart/form-data': { schema: jsonSchemaOf(schema, 'input') } } };
}

function convertedContent(): Json {
  const types = [...new Set(CONVERT_FORMATS.map((f) => convertContentType(f as ConvertFormat)))];
  return Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]));
}

const TOOL_AUDIO = Object.fromEntries(['audio/wav', 'audio/mpeg', 'audio/flac'].map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]));
const TOOL_NOTE =
  ' Processed on a worker in blocks (bounded memory, any length up to the server\'s limit: 413 `audio_too_long`); a client that disconnects cancels the work and is not charged.' +
  ' The result is also kept as a result file (X-Result-Url; Range, expiry as TTS results). `Accept: application/json` answers with URLs instead; `async=true` with a job to poll (202).';

function toolResponses(audio: Json, json: Json): Record<string, Json> {
  return {
    200: { description: 'The result, or its URLs with `Accept: application/json`.', content: { ...audio, 'application/json': { schema: json } } },
    202: jsonResponse('`async=true`: the job to poll.', jsonSchemaOf(toolJobAccepted, 'output')),
  };
}

function toolOperations(): OperationSpec[] {
  const single = jsonSchemaOf(toolResultResponse, 'output');
  return [
    {
      method: 'post',
      path: '/v1/audio/enhance',
      operationId: 'enhanceAudio',
      summary: 'Denoise and clarify speech (2 credits per audio minute)',
      description: 'RNNoise denoising, clarity EQ and compression, loudness normalisation to -16 LUFS, optional bandwidth extension.' + TOOL_NOTE,
      tag: 'Audio tools',
      requestBody: multipart(enhanceForm),
      responses: toolResponses(TOOL_AUDIO, single),
      errors: [...UPLOAD_ERRORS, 402],
    },
    {
      method: 'post',
      path: '/v1/audio/dereverb',
      operationId: 'dereverbAudio',
      summary: 'Remove echo and reverberation (2 credits per audio minute)',
      description: 'Echo: a discrete delay found in the power cepstrum, cancelled by its inverse filter. Reverb: late-reverberation spectral suppression.' + TOOL_NOTE,
      tag: 'Audio tools',
      requestBody: multipart(dereverbForm),
      responses: toolResponses(TOOL_AUDIO, single),
      errors: [...UPLOAD_ERRORS, 402],
    },
    {
      method: 'post',
      path: '/v1/audio/separate',
      operationId: 'separateAudio',
      summary: 'Split into stems (3 credits per audio minute for 2 stems, 4 for more)',
      description: 'A zip of one file per stem (vocals, accompaniment; with demucs 4: drums, bass, other, vocals; 6: + guitar, piano; with spleeter 4: vocals, drums, bass, other; 5: vocals, drums, bass, piano, other), or JSON with one URL per stem for `Accept: application/json`. 4 and 6 stems run the installed Demucs ONNX export (htdemucs, htdemucs_6s), 4 and 5 stems with model=spleeter the installed sherpa-onnx Spleeter per-stem exports (spleeter-4stems, spleeter-5stems): 424 `model_not_installed` with the install command when missing or damaged; a stem count the model lacks: 400.' + TOOL_NOTE,
      tag: 'Audio tools',
      requestBody: multipart(separateForm),
      responses: toolResponses({ 'application/zip': { schema: { type: 'string', contentMediaType: 'application/zip' } } }, jsonSchemaOf(separateResultResponse, 'output')),
      errors: [...UPLOAD_ERRORS, 402, 424],
    },
    {
      method: 'get',
      path: '/v1/audio/jobs/{id}',
      operationId: 'getAudioToolJob',
      summary: 'Progress and result of an audio tool or transcription job started with async=true',
      description: 'Kept in the database (Postgres in cluster mode: any node answers): a job that a server restart cut off answers `failed` with error `interrupted` (nothing charged); in cluster mode a job whose node died is run again by another node instead. A finished one is answered for an hour, its files until they expire. Progress of a job running on another node is what its worker last wrote (about every second); a transcription reports 0 until completed.',
      tag: 'Audio tools',
      parameters: [param('path', 'id', { type: 'string' }, 'The job_id of the 202 answer.')],
      responses: { 200: jsonResponse('The job.', jsonSchemaOf(toolJobResponse, 'output')) },
      errors: [404],
    },
    {
      method: 'delete',
      path: '/v1/audio/jobs/{id}',
      operationId: 'cancelAudioToolJob',
      summary: 'Cancel a running audio tool or transcription job',
      description: 'Stops the worker (on another node in cluster mode: it notices within about 500 ms), removes the partial files and refunds the whole reservation (a cancelled job delivers nothing); answers the final state, `cancelled` (or `completed` if it finished first). 409 `job_already_finished` for a job that had already ended.',
      tag: 'Audio tools',
      parameters: [param('path', 'id', { type: 'string' }, 'The job_id of the 202 answer.')],
      responses: { 200: jsonResponse('The job, stopped.', jsonSchemaOf(toolJobResponse, 'output')) },
      errors: [404, 409],
    },
  ];
}

export function audioToolOperations(): OperationSpec[] {
  return [
    ...toolOperations(),
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
