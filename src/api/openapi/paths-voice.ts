/** Operations of the voice-identity endpoints: stored voices, conversion, cloning, speech-to-speech, translation. */
import type { z } from 'zod';
import { TAGGED_CONTENT_TYPES } from '../../voice/tagged-audio.js';
import { ttsCloneForm, speechToSpeechForm, speechTranslateForm, speechTranslateResponse, voiceConvertForm, voiceEmbedDeleted, voiceEmbedForm, voiceEmbedList, voiceEmbedResponse } from '../schemas/voice-identity.js';
import { jsonSchemaOf, type Json } from './json-schema.js';
import { jsonResponse, param, type OperationSpec } from './operation.js';

/** Statuses of a voice upload: bad field, too large, not audio, unusable audio (too short, silent, several speakers). */
const UPLOAD_ERRORS = [400, 413, 415, 422];
const TAG = 'Voice identity';

function multipart(schema: z.ZodType): Json {
  return { required: true, content: { 'multipart/form-data': { schema: jsonSchemaOf(schema, 'input') } } };
}

/** A tagged audio file in any of the voice formats. */
function taggedAudio(description: string): Json {
  const content = Object.fromEntries(Object.values(TAGGED_CONTENT_TYPES).map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]));
  const header = (d: string): Json => ({ description: d, schema: { type: 'string' } });
  return {
    description,
    content,
    headers: { 'X-Llais-Synthetic': header('Always `true`: the audio is synthetic.'), 'X-Credits-Used': header('Credits charged.'), 'X-Credits-Remaining': header("The account's balance after (accounts only).") },
  };
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
    {
      method: 'post',
      path: '/v1/voice-convert',
      operationId: 'convertVoice',
      summary: 'Re-speak a recording in another voice',
      description: 'F0 statistics and spectral envelope moved toward the target voice (docs/voice-identity.md), or an installed neural converter (OpenVoice v2, kNN-VC: the one `model` names first) toward the target\'s own audio. 3 credits per audio minute. `X-Llais-Converter` names the converter that ran: `openvoice-v2`, `knn-vc` or `llais-dsp-v1`.',
      tag: TAG,
      requestBody: multipart(voiceConvertForm),
      responses: { 200: taggedAudio('The converted recording.') },
      errors: [...UPLOAD_ERRORS, 402, 404, 424],
    },
    {
      method: 'post',
      path: '/v1/speech-to-speech',
      operationId: 'speechToSpeech',
      summary: 'The same words in a new voice and style',
      description: 'By conversion (every word and pause kept): `voice` sets the target, `emotion` the prosody, `speed` the rate. 3 credits per audio minute.',
      tag: TAG,
      requestBody: multipart(speechToSpeechForm),
      responses: { 200: taggedAudio('The re-voiced recording.') },
      errors: [...UPLOAD_ERRORS, 402, 404, 424],
    },
    {
      method: 'post',
      path: '/v1/speech-translate',
      operationId: 'translateSpeech',
      summary: 'Speech in one language out as speech in another',
      description: 'Recognition, translation by the configured language model (424 `translator_not_configured` without one), synthesis in the target language, optionally converted toward the speaker. `X-Job-Uuid` names the result job. 5 credits per audio minute.',
      tag: TAG,
      requestBody: multipart(speechTranslateForm),
      responses: { 200: jsonResponse('The texts and the spoken translation.', jsonSchemaOf(speechTranslateResponse, 'output')) },
      errors: [...UPLOAD_ERRORS, 402, 424, 502],
    },
    {
      method: 'post',
      path: '/v1/tts/clone',
      operationId: 'cloneVoice',
      summary: 'Speak text in a voice given by example',
      description: 'With F5-TTS installed and a `reference_audio` upload, the zero-shot model speaks the text in the reference voice; otherwise the nearest built-in voice speaks it, converted toward the reference (docs/voice-identity.md). `X-Llais-Cloner` says which ran. `X-Job-Uuid` names the result job, for `/v1/tts/subtitles/`. 4 credits per 1,000 characters.',
      tag: TAG,
      requestBody: multipart(ttsCloneForm),
      responses: { 200: { ...taggedAudio('The speech.'), headers: { ...(taggedAudio('').headers as Record<string, Json>), 'X-Job-Uuid': { description: 'The job holding this result.', schema: { type: 'string' } }, 'X-Llais-Cloner': { description: '`f5-tts` (the zero-shot model ran) or `base-voice+conversion`.', schema: { type: 'string' } } } } },
      errors: [...UPLOAD_ERRORS, 402, 404, 424],
    },
  ];
}
