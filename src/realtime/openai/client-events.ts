/**
 * The client events of the OpenAI Realtime protocol: one zod discriminated union on `type`
 * (GA names; a beta client's names are mapped to GA before parsing), parsed by one function.
 * Nested objects (`session`, `item`, `response`) are checked by their own modules, which know
 * both dialects' shapes and name the faulty field; here they only have to be present.
 */
import { z } from 'zod';
import { ApiError } from '../../errors.js';
import { parseBody } from '../../schema.js';
import { parseJsonObject } from '../json-frame.js';
import { canonicalClientType } from './protocol.js';

const base = { event_id: z.string().optional() };

const clientEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('session.update'), session: z.unknown() }),
  /** Beta's transcription sessions: a `session.update` whose session is a transcription one. */
  z.object({ ...base, type: z.literal('transcription_session.update'), session: z.unknown() }),
  z.object({ ...base, type: z.literal('input_audio_buffer.append'), audio: z.string() }),
  z.object({ ...base, type: z.literal('input_audio_buffer.commit') }),
  z.object({ ...base, type: z.literal('input_audio_buffer.clear') }),
  z.object({ ...base, type: z.literal('conversation.item.create'), item: z.unknown(), previous_item_id: z.string().nullable().optional() }),
  z.object({ ...base, type: z.literal('conversation.item.retrieve'), item_id: z.string() }),
  z.object({ ...base, type: z.literal('conversation.item.delete'), item_id: z.string() }),
  z.object({
    ...base,
    type: z.literal('conversation.item.truncate'),
    item_id: z.string(),
    content_index: z.number().int().min(0).optional(),
    audio_end_ms: z.number().min(0, { error: "'audio_end_ms' must be a number >= 0." }),
  }),
  z.object({ ...base, type: z.literal('response.create'), response: z.unknown().optional() }),
  z.object({ ...base, type: z.literal('response.cancel'), response_id: z.string().optional() }),
  z.object({ ...base, type: z.literal('output_audio_buffer.clear') }),
]);

export type ClientEvent = z.output<typeof clientEventSchema>;
export type ClientEventType = ClientEvent['type'];

const KNOWN_TYPES = new Set<string>(clientEventSchema.options.map((o) => o.shape.type.value));

/**
 * Parses one text frame into a client event. Throws ApiError 400: `invalid_json`,
 * `invalid_event` (not an object), `missing_required_parameter` (no `type`), `unknown_event`,
 * or the field's own `invalid_type` / `invalid_value` / `missing_required_parameter`.
 * The thrown error carries the event's `event_id` in `clientEventId` when it had one.
 */
export function parseClientEvent(text: string): ClientEvent {
  const raw = parseJsonObject(
    text,
    'The message is not valid JSON; every client event is a JSON object with a "type".',
    new ApiError('invalid_event', 'A client event must be a JSON object with a "type".'),
  );
  if (typeof raw.type !== 'string') throw new ApiError('missing_required_parameter', "Missing required parameter 'type'.", 'type');
  if (raw.event_id !== undefined && typeof raw.event_id !== 'string') throw new ApiError('invalid_type', "'event_id' must be a string.", 'event_id');
  const eventId = raw.event_id as string | undefined;
  const type = canonicalClientType(raw.type);
  try {
    if (!KNOWN_TYPES.has(type)) throw new ApiError('unknown_event', `Unknown client event type '${raw.type}'.`, 'type');
    return parseBody(clientEventSchema, { ...raw, type });
  } catch (err) {
    throw err instanceof ApiError && eventId !== undefined ? new ClientEventError(err, eventId) : err;
  }
}

/** A parse failure of an event that named itself: its error event echoes the `event_id`. */
export class ClientEventError extends ApiError {
  constructor(
    err: ApiError,
    readonly clientEventId: string,
  ) {
    super(err.code, err.message, err.param, { cause: err.cause });
  }
}

/** The union's schema, for the OpenAPI document (src/api/openapi/). */
export { clientEventSchema };
