/**
 * Names for the request and response shapes the client uses, each picked out of the types
 * generated from the server's OpenAPI document (src/generated/openapi.ts), never written by hand.
 */
import type { components, operations } from './generated/openapi.js';

type JsonBody<O extends keyof operations> = operations[O] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type FormBody<O extends keyof operations> = operations[O] extends { requestBody?: { content: { 'multipart/form-data': infer B } } } ? B : never;
type JsonOk<O extends keyof operations> = operations[O] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;

/** A stable error code from the server's catalogue (docs/errors.md). */
export type ErrorCode = components['schemas']['ErrorEnvelope']['error']['code'];
/** The `error` object of the server's error envelope. */
export type ErrorDetail = components['schemas']['ErrorEnvelope']['error'];

/** The body of POST /v1/tts/ (and /v1/tts/stream/) without `stream`: the client picks the endpoint. */
export type SpeechRequest = Omit<JsonBody<'createSpeechJob'>, 'stream'>;
/** A queued synthesis job. */
export type SpeechJob = Extract<JsonOk<'createSpeechJob'>, { uuid: string }>;
/** A job's state from GET /v1/speech/results/. */
export type JobResult = JsonOk<'getSpeechResult'>;
/** A finished job: where its audio is, and what it is. */
export type CompletedJob = Extract<JobResult, { status: 'completed' }>;
/** One event of POST /v1/tts/stream/, as the server sends it. */
export type SpeechStreamEvent = components['schemas']['SpeechStreamEvent'];
/** The body of OpenAI's POST /v1/audio/speech, always answered with the audio bytes here. */
export type OpenAiSpeechRequest = Omit<JsonBody<'createSpeechOpenAi'>, 'stream_format'>;

/** The form fields of POST /v1/stt/ other than the file (flags as booleans). */
export type TranscribeFields = Omit<FormBody<'transcribe'>, 'file' | 'timestamps' | 'diarize'>;
/** A transcript from POST /v1/stt/. */
export type Transcript = JsonOk<'transcribe'>;

/** The JSON fields of POST /v1/voice-chat/. */
export type VoiceChatFields = JsonBody<'voiceChatTurn'>;
/** One turn of a voice chat. */
export type VoiceChatTurn = JsonOk<'voiceChatTurn'>;

/** GET /v1/voices/ filters. */
export type VoiceQuery = NonNullable<operations['listVoices']['parameters']['query']>;
/** GET /v1/voices/. */
export type VoiceList = JsonOk<'listVoices'>;
/** GET /v1/models/. */
export type ModelList = JsonOk<'listModels'>;
/** GET /v1/health/. */
export type Health = JsonOk<'getHealth'>;
