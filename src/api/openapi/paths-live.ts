/**
 * The WebSocket endpoints. OpenAPI has no WebSocket operations, so each is a GET (the upgrade:
 * 101, or a 4xx envelope when refused) whose `x-websocket-messages` carries the JSON Schema of
 * every client and server message, generated from the schemas the sessions validate with.
 */
import { z } from 'zod';
import { clientEventSchema } from '../../realtime/openai/client-events.js';
import { clientMessageSchemas as sttWsClientMessages, settingsSchema as sttWsSettings } from '../../realtime/stt-ws/protocol.js';
import { clientMessageSchemas, settingsSchema } from '../../realtime/tts-ws/protocol.js';
import { realtimeServerEvent, sttWsServerEvent, ttsWsServerEvent } from '../schemas/live-events.js';
import { byTypeLiteral, jsonSchemaOf, messageSchemas, type Json } from './json-schema.js';
import { param, type OperationSpec } from './operation.js';

const TAG = 'Live (WebSocket)';
/** Refusals of the handshake: bad query, no key, plan limits, too many sessions. */
const UPGRADE_ERRORS = [400, 402, 424];

function messages(client: Record<string, z.ZodType>, server: Record<string, z.ZodType>, binary: string): Json {
  return {
    'x-websocket-messages': {
      client: messageSchemas(client, 'input'),
      server: messageSchemas(server, 'output'),
      binary,
    },
  };
}

/** The upgrade's query parameters from the settings schema, so the two cannot differ. */
function settingsParams(): Json[] {
  const props = jsonSchemaOf(settingsSchema, 'input').properties as Record<string, Json>;
  return Object.entries(props).map(([name, schema]) => param('query', name, schema, `Session setting \`${name}\` (also settable with session.update).`));
}

/** `/v1/stt/ws`'s query parameters from the schema its upgrade is checked with. */
function sttWsParams(): Json[] {
  const props = jsonSchemaOf(sttWsSettings, 'input').properties as Record<string, Json>;
  return Object.entries(props).map(([name, schema]) => param('query', name, schema, `Session setting \`${name}\`.`, false));
}

const upgraded = { 101: { description: 'Switching Protocols: the session is open.' } };

export function liveOperations(): OperationSpec[] {
  return [
    {
      method: 'get',
      path: '/v1/realtime',
      operationId: 'realtimeSession',
      summary: 'OpenAI Realtime protocol over WebSocket (live voice)',
      description:
        'GA event names by default; a beta client (`OpenAI-Beta: realtime=v1`, or the subprotocol `openai-beta.realtime-v1`) gets the beta names. The key may come as the subprotocol `openai-insecure-api-key.<key>`. docs/realtime.md.',
      tag: TAG,
      parameters: [
        param('query', 'model', { type: 'string', default: 'gpt-realtime' }, 'Echoed in the session; the engines are chosen by session.update.'),
        param('query', 'intent', { type: 'string', enum: ['transcription'] }, 'Beta: start as a transcription session (also: session.update with type "transcription").', false),
        param('header', 'Sec-WebSocket-Protocol', { type: 'string' }, '`realtime`, `openai-insecure-api-key.<key>`, `openai-beta.realtime-v1`.', false),
      ],
      responses: upgraded,
      errors: UPGRADE_ERRORS,
      extensions: messages(byTypeLiteral(clientEventSchema), byTypeLiteral(realtimeServerEvent), "Binary frames carry raw audio in the session's input format (an extension: no base64)."),
    },
    {
      method: 'get',
      path: '/v1/tts/ws',
      operationId: 'ttsWebSocket',
      summary: 'Input-streaming TTS over WebSocket',
      description: 'Send text as it is produced; each sentence is spoken as soon as it ends. docs/tts-ws.md.',
      tag: TAG,
      parameters: settingsParams(),
      responses: upgraded,
      errors: UPGRADE_ERRORS,
      extensions: messages(clientMessageSchemas, byTypeLiteral(ttsWsServerEvent), 'Binary client messages are refused with an `error` event.'),
    },
    {
      method: 'get',
      path: '/v1/stt/ws',
      operationId: 'sttWebSocket',
      summary: 'Live captions over WebSocket',
      description:
        'Binary audio frames in (the `format` of the query); `speech.started`, `partial` (the running hypothesis, its first `stable_words` final) and `final` per utterance out, words timed in seconds of the stream. A frame over 128 KiB is answered with a `frame_too_large` error event and close 1009. docs/stt-ws.md.',
      tag: TAG,
      parameters: sttWsParams(),
      responses: upgraded,
      errors: UPGRADE_ERRORS,
      extensions: messages(sttWsClientMessages, byTypeLiteral(sttWsServerEvent), 'Binary client messages are audio in the session format: pcm16 (mono, little-endian, at sample_rate), G.711, or one raw Opus packet per frame.'),
    },
  ];
}
