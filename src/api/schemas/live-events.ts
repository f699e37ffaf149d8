/**
 * The server events of the WebSocket protocols (`/v1/realtime`, `/v1/tts/ws`, `/v1/stt/ws`) as zod
 * schemas, for the OpenAPI document. The sessions build their events against the TypeScript
 * unions in src/realtime/; the checks at the end of this file make the compiler refuse any
 * difference between those unions and these schemas, so the document cannot drift.
 */
import { z } from 'zod';
import type { ServerEvent as RealtimeServerEvent } from '../../realtime/openai/server-events.js';
import { INPUT_FORMATS, type SttWsServerEvent } from '../../realtime/stt-ws/protocol.js';
import { OUTPUT_FORMATS, type ServerEvent as TtsWsServerEvent } from '../../realtime/tts-ws/protocol.js';
import { errorDetailSchema } from './error-envelope.js';

const obj = z.record(z.string(), z.unknown());
const errorDetail = z.strictObject({ type: z.string(), code: z.string(), message: z.string(), param: z.string().nullable() });
const contentRef = { response_id: z.string(), item_id: z.string(), output_index: z.number(), content_index: z.number() };
const callRef = { response_id: z.string(), item_id: z.string(), output_index: z.number(), call_id: z.string() };
const contentPart = z.union([z.strictObject({ type: z.literal('audio'), transcript: z.string() }), z.strictObject({ type: z.literal('text'), text: z.string() })]);
const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.strictObject({ type: z.literal(type), ...shape });
/** Realtime events also carry the `event_id` the session stamps on each as it sends it. */
const rtEvent = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => event(type, { ...shape, event_id: z.string() });

/** `/v1/realtime` server events under their GA names (a beta client gets the beta names). */
export const realtimeServerEvent = z.discriminatedUnion('type', [
  rtEvent('error', { error: errorDetail.extend({ event_id: z.string().nullable() }) }),
  rtEvent('session.created', { session: obj }),
  rtEvent('session.updated', { session: obj }),
  rtEvent('transcription_session.created', { session: obj }),
  rtEvent('transcription_session.updated', { session: obj }),
  rtEvent('conversation.created', { conversation: z.strictObject({ id: z.string(), object: z.literal('realtime.conversation') }) }),
  rtEvent('input_audio_buffer.cleared', {}),
  rtEvent('input_audio_buffer.speech_started', { audio_start_ms: z.number(), item_id: z.string() }),
  rtEvent('input_audio_buffer.speech_stopped', { audio_end_ms: z.number(), item_id: z.string() }),
  rtEvent('input_audio_buffer.turn_limit_reached', { item_id: z.string(), audio_end_ms: z.number(), max_turn_ms: z.number() }),
  rtEvent('input_audio_buffer.committed', { previous_item_id: z.string().nullable(), item_id: z.string() }),
  rtEvent('conversation.item.added', { previous_item_id: z.string().nullable(), item: obj }),
  rtEvent('conversation.item.done', { previous_item_id: z.string().nullable().optional(), item: obj }),
  rtEvent('conversation.item.retrieved', { item: obj }),
  rtEvent('conversation.item.deleted', { item_id: z.string() }),
  rtEvent('conversation.item.truncated', { item_id: z.string(), content_index: z.number(), audio_end_ms: z.number() }),
  rtEvent('conversation.item.input_audio_transcription.delta', {
    item_id: z.string(),
    content_index: z.number(),
    delta: z.string().meta({ description: 'Words of the running hypothesis that became stable since the last delta (append-only; see docs/realtime.md).' }),
    logprobs: z.null().optional().meta({ description: 'With include item.input_audio_transcription.logprobs: null, the live recognizers give none.' }),
  }),
  rtEvent('conversation.item.input_audio_transcription.completed', { item_id: z.string(), content_index: z.number(), transcript: z.string(), usage: z.strictObject({ type: z.literal('duration'), seconds: z.number() }), logprobs: z.null().optional() }),
  rtEvent('conversation.item.input_audio_transcription.failed', { item_id: z.string(), content_index: z.number(), error: errorDetail }),
  rtEvent('output_audio_buffer.cleared', { response_id: z.string().nullable() }),
  rtEvent('response.created', { response: obj }),
  rtEvent('response.done', { response: obj }),
  rtEvent('response.output_item.added', { response_id: z.string(), output_index: z.number(), item: obj }),
  rtEvent('response.output_item.done', { response_id: z.string(), output_index: z.number(), item: obj }),
  rtEvent('response.content_part.added', { part: contentPart, ...contentRef }),
  rtEvent('response.content_part.done', { part: contentPart, ...contentRef }),
  rtEvent('response.output_text.delta', { delta: z.string(), ...contentRef }),
  rtEvent('response.output_text.done', { text: z.string(), ...contentRef }),
  rtEvent('response.output_audio.delta', { delta: z.string().meta({ description: "Base64 audio in the session's output format." }), ...contentRef }),
  rtEvent('response.output_audio.done', contentRef),
  rtEvent('response.output_audio_transcript.delta', { delta: z.string(), ...contentRef }),
  rtEvent('response.output_audio_transcript.done', { transcript: z.string(), ...contentRef }),
  rtEvent('response.function_call_arguments.delta', { delta: z.string(), ...callRef }),
  rtEvent('response.function_call_arguments.done', { name: z.string(), arguments: z.string(), ...callRef }),
]);

const word = z.strictObject({ word: z.string(), start: z.number(), end: z.number() });
const sessionInfo = z.strictObject({
  model: z.string(),
  voice: z.string(),
  language: z.string(),
  speed: z.number(),
  output_format: z.enum(OUTPUT_FORMATS),
  sample_rate: z.number().meta({ description: 'The session audio clock; pcm deltas are at this rate.' }),
});

/** `/v1/tts/ws` server events (docs/tts-ws.md). */
export const ttsWsServerEvent = z.discriminatedUnion('type', [
  event('session.created', { session: sessionInfo }),
  event('session.updated', { session: sessionInfo }),
  event('sentence.started', { sentence_id: z.number(), text: z.string() }),
  event('audio.delta', { sentence_id: z.number(), audio: z.string().meta({ description: 'Base64 PCM16 LE mono, or Ogg Opus pages.' }) }),
  event('sentence.done', { sentence_id: z.number(), start: z.number(), end: z.number(), words: z.array(word) }),
  event('flush.done', {}),
  event('cancel.done', {}),
  event('done', { audio_duration_sec: z.number(), characters: z.number() }),
  event('error', { error: errorDetailSchema() }),
]);

const sttWsSession = z.strictObject({
  id: z.string(),
  model: z.string(),
  language: z.string(),
  format: z.enum(INPUT_FORMATS),
  sample_rate: z.number().meta({ description: 'pcm16 frames are at this rate; 0 for the other formats.' }),
  silence_duration_ms: z.number(),
  partials: z.boolean(),
  speakers: z.boolean(),
});

/** `/v1/stt/ws` server messages (docs/stt-ws.md); times are seconds of the stream. */
export const sttWsServerEvent = z.discriminatedUnion('type', [
  event('session.created', { session: sttWsSession }),
  event('speech.started', { utterance_id: z.string(), start: z.number() }),
  event('partial', { utterance_id: z.string(), text: z.string(), words: z.array(word), stable_words: z.number().meta({ description: 'The first stable_words words will not change.' }) }),
  event('final', { utterance_id: z.string(), text: z.string(), start: z.number(), end: z.number(), words: z.array(word), speaker: z.string().optional().meta({ description: 'With speakers=true: the utterance speaker, consistent across the session.' }) }),
  event('done', { audio_duration_sec: z.number(), utterances: z.number() }),
  event('error', { error: errorDetailSchema() }),
]);

/** True only when A and B accept exactly the same values. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when `T` is `true`. */
type Holds<T extends true> = T;
// Errors use a plain string code in the unions; the schema's stricter enum is still a string.
type Loosened<T> = T extends { type: 'error'; error: infer E } ? { type: 'error'; error: Omit<E, 'code'> & { code: string } } : T;
/** Each member of a union without its `event_id` (stamped at send time, not part of the union). */
type Unstamped<T> = T extends unknown ? Omit<T, 'event_id'> : never;
export type RealtimeEventsMatch = Holds<Same<Unstamped<z.output<typeof realtimeServerEvent>>, RealtimeServerEvent>>;
export type TtsWsEventsMatch = Holds<Same<Loosened<z.output<typeof ttsWsServerEvent>>, Loosened<TtsWsServerEvent>>>;
export type SttWsEventsMatch = Holds<Same<Loosened<z.output<typeof sttWsServerEvent>>, Loosened<SttWsServerEvent>>>;
