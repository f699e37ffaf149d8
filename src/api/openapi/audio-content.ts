/** Response content for audio bodies: one entry per media type the formats map to. */
import { AUDIO_FORMATS, contentTypeOf } from '../../audio/formats.js';
import type { Json } from './json-schema.js';

/** `content` of a binary audio response in any of our formats. */
export function audioContent(): Json {
  const types = [...new Set(AUDIO_FORMATS.map(contentTypeOf))];
  return Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', contentMediaType: t } }]));
}

/** `content` of a server-sent-events body; its events' schemas are the operation's `x-sse-events`. */
export function sseContent(): Json {
  return { 'text/event-stream': { schema: { type: 'string', description: "Server-sent events; each `data:` line is one JSON event of the operation's `x-sse-events`, told apart by `type`." } } };
}
