/**
 * The `/v1/stt/ws` wire protocol: the upgrade's query settings and the client's text messages,
 * each checked by one zod schema, and the server messages as a tagged union. docs/stt-ws.md
 * documents all three; keep them in step.
 */
import { z } from 'zod';
import type { WordTiming } from '../../audio/pcm.js';
import { ApiError } from '../../errors.js';
import { parseBody } from '../../schema.js';
import { parseTypedFrame } from '../json-frame.js';

export const INPUT_FORMATS = ['pcm16', 'g711_ulaw', 'g711_alaw', 'opus'] as const;
export type SttWsFormat = (typeof INPUT_FORMATS)[number];
/** Rates a `pcm16` stream may have; each is resampled to the recognizer's 16 kHz once. */
export const PCM_RATES_HZ = [8000, 16000, 24000, 48000] as const;

const boolString = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The upgrade's query parameters (strings on the wire). */
export const settingsSchema = z.object({
  model: z.string().min(1).optional().meta({ description: 'A speech-to-text model id or alias; default: the server default.' }),
  language: z.string().min(2).default('en').meta({ description: 'ISO 639-1 code of the speech.' }),
  format: z.enum(INPUT_FORMATS).default('pcm16').meta({ description: 'Binary frames: pcm16 (mono, little-endian), G.711, or raw Opus packets (one per frame).' }),
  sample_rate: z
    .enum(PCM_RATES_HZ.map(String) as [string, ...string[]])
    .default('16000')
    .transform(Number)
    .meta({ description: 'pcm16 only: 8000, 16000, 24000 or 48000.' }),
  silence_duration_ms: z
    .string()
    .regex(/^\d+$/, { error: "'silence_duration_ms' must be a whole number of milliseconds." })
    .transform(Number)
    .pipe(z.number().min(200, { error: "'silence_duration_ms' must be between 200 and 5000." }).max(5000, { error: "'silence_duration_ms' must be between 200 and 5000." }))
    .default(500)
    .meta({ description: 'Silence that ends an utterance (ms).' }),
  partials: boolString.default(true).meta({ description: 'Send `partial` messages while an utterance is spoken.' }),
  speakers: boolString.default(false).meta({ description: 'Label each `final` with a speaker (SPEAKER_00, ...), consistent across the session.' }),
});
export type SttWsSettings = z.output<typeof settingsSchema>;

/** Reads the query; a 400 names the first bad parameter. */
export function parseSettings(query: URLSearchParams): SttWsSettings {
  return parseBody(settingsSchema, Object.fromEntries(query.entries()));
}

const messageSchemas = {
  /** End the open utterance now: its `final` follows. */
  flush: z.strictObject({ type: z.literal('flush') }),
  /** End the stream: the open utterance's `final`, then `done`, then the server closes (1000). */
  close: z.strictObject({ type: z.literal('close') }),
};
type MessageType = keyof typeof messageSchemas;
export type ClientMessage = { [K in MessageType]: z.output<(typeof messageSchemas)[K]> }[MessageType];

/** Parses one text frame; throws a 400 ApiError naming what is wrong. */
export function parseClientMessage(text: string): ClientMessage {
  const { type, json } = parseTypedFrame(text, messageSchemas);
  return parseBody(messageSchemas[type], json) as ClientMessage;
}

export interface SttWsSessionInfo {
  id: string;
  model: string;
  language: string;
  format: SttWsFormat;
  sample_rate: number;
  silence_duration_ms: number;
  partials: boolean;
  speakers: boolean;
}

export type SttWsServerEvent =
  | { type: 'session.created'; session: SttWsSessionInfo }
  /** Voice began; `start` in seconds of the stream (the prefix padding before the onset included). */
  | { type: 'speech.started'; utterance_id: string; start: number }
  /** The running hypothesis: words timed in seconds of the stream; the first `stable_words` will not change. */
  | { type: 'partial'; utterance_id: string; text: string; words: WordTiming[]; stable_words: number }
  /** The utterance's transcript. */
  | { type: 'final'; utterance_id: string; text: string; start: number; end: number; words: WordTiming[]; speaker?: string }
  | { type: 'done'; audio_duration_sec: number; utterances: number }
  | { type: 'error'; error: ReturnType<ApiError['toEnvelope']>['error'] };

export function errorEvent(err: ApiError): SttWsServerEvent {
  return { type: 'error', error: err.toEnvelope().error };
}

/** Each client message's schema, for the OpenAPI document (src/api/openapi/). */
export { messageSchemas as clientMessageSchemas };
