/**
 * The `/v1/tts/ws` wire protocol: client messages validated by one zod schema each, and the
 * server events as a tagged union. docs/tts-ws.md documents both; keep them in step.
 */
import { z } from 'zod';
import type { WordTiming } from '../../audio/pcm.js';
import { ApiError } from '../../errors.js';
import { numberIn, parseBody } from '../../schema.js';
import { parseTypedFrame } from '../json-frame.js';

export const OUTPUT_FORMATS = ['pcm', 'opus'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Settings a client may choose, on the upgrade URL or in `session.update`. */
const settingsFields = {
  model: z.string().min(1).optional(),
  voice: z.string().min(1).optional(),
  language: z.string().min(1).optional(),
  // The native `/v1/tts` range: engines sound broken beyond it.
  speed: numberIn('speed', 0.5, 2.0).optional(),
  output_format: z.enum(OUTPUT_FORMATS).optional(),
};

export const settingsSchema = z.object(settingsFields);
export type RequestedSettings = z.output<typeof settingsSchema>;

// Strict: a misspelt field is reported, not silently ignored.
const messageSchemas = {
  'session.update': z.strictObject({ type: z.literal('session.update'), ...settingsFields }),
  text: z.strictObject({ type: z.literal('text'), text: z.string() }),
  flush: z.strictObject({ type: z.literal('flush') }),
  close: z.strictObject({ type: z.literal('close') }),
  cancel: z.strictObject({ type: z.literal('cancel') }),
};

type MessageType = keyof typeof messageSchemas;
export type ClientMessage = { [K in MessageType]: z.output<(typeof messageSchemas)[K]> }[MessageType];

/** Parses one text frame; throws a 400 ApiError naming what is wrong. */
export function parseClientMessage(text: string): ClientMessage {
  const { type, json } = parseTypedFrame(text, messageSchemas);
  const schema = messageSchemas[type];
  const checked = schema.safeParse(json);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw new ApiError('unknown_parameter', `Unknown field '${key}' in a '${type}' message`, key);
  }
  // Re-parse through the shared helper for the API's usual 400 wording.
  return parseBody(schema, json) as ClientMessage;
}

/**
 * Query parameters to settings. Values arrive as strings, so `speed` is converted first; a
 * value that is not a number stays a string and fails validation with a readable message.
 */
export function parseQuerySettings(query: URLSearchParams): RequestedSettings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(settingsFields)) {
    const value = query.get(key);
    if (value === null) continue;
    const n = Number(value);
    raw[key] = key === 'speed' && value.trim() !== '' && Number.isFinite(n) ? n : value;
  }
  return parseBody(settingsSchema, raw);
}

/** The session's settings as resolved against the installed voices. */
export interface SessionInfo {
  model: string;
  voice: string;
  language: string;
  speed: number;
  output_format: OutputFormat;
  /** The session audio clock; `pcm` deltas are at this rate. */
  sample_rate: number;
}

export type ServerEvent =
  | { type: 'session.created'; session: SessionInfo }
  | { type: 'session.updated'; session: SessionInfo }
  | { type: 'sentence.started'; sentence_id: number; text: string }
  | { type: 'audio.delta'; sentence_id: number; audio: string }
  | { type: 'sentence.done'; sentence_id: number; start: number; end: number; words: WordTiming[] }
  | { type: 'flush.done' }
  | { type: 'cancel.done' }
  | { type: 'done'; audio_duration_sec: number; characters: number }
  | { type: 'error'; error: ReturnType<ApiError['toEnvelope']>['error'] };

export function errorEvent(err: ApiError): ServerEvent {
  return { type: 'error', error: err.toEnvelope().error };
}

/** Each client message's schema, for the OpenAPI document (src/api/openapi/). */
export { messageSchemas as clientMessageSchemas };
