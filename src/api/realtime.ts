/**
 * `GET /v1/realtime` (WebSocket): the OpenAI Realtime protocol over our engines. This module only
 * wires the session (src/realtime/openai/session.ts) to the socket (through the transport
 * port), the session limits and the services.
 */
import type { AudioChunk } from '../audio/pcm.js';
import { ApiError } from '../errors.js';
import type { HttpServer } from '../http/server.js';
import type { WebSocketConnection } from '../http/websocket.js';
import { dialectOf, errorEvent, newId } from '../realtime/openai/protocol.js';
import { RealtimeSession, type RealtimeServices } from '../realtime/openai/session.js';
import { admitSharedUpgrade, checkedUpgrade } from './access.js';
import type { ApiContext } from './context.js';
import { liveCharge } from './live-charge.js';
import { openLiveSession } from './live-session.js';
import { liveTransport } from './live-transport.js';
import { vadLoader } from './live-vad.js';

/** OpenAI accepts appends of up to 15 MiB of base64; a little more for the JSON around it. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MODEL = 'gpt-realtime';

export function registerRealtimeRoute(http: HttpServer, ctx: ApiContext): void {
  const services = realtimeServices(ctx);
  http.webSocket('/v1/realtime', {
    maxMessageBytes: MAX_MESSAGE_BYTES,
    accept: async (request) => {
      const access = await admitSharedUpgrade(ctx.accounts, request, ctx.sharedGate);
      return checkedUpgrade(access, async () => {
        const billing = await liveCharge(ctx, access.caller, 'realtime');
        ctx.live.admit();
        const model = request.query.get('model') ?? DEFAULT_MODEL;
        if (request.query.has('call_id')) {
          throw new ApiError('unsupported_parameter', 'Sideband connections (call_id) need WebRTC or SIP calls, which this server does not serve; connect with ?model= instead.', 'call_id');
        }
        const dialect = dialectOf(request.headers, request.protocols);
        const intent = request.query.get('intent') === 'transcription' ? ('transcription' as const) : undefined;
        return (conn: WebSocketConnection) => {
          const log = ctx.logger.child({ reqId: request.requestId, route: 'realtime' });
          return openLiveSession(ctx, conn, {
            checks: [access, billing],
            limitEvent: (reason, message) => JSON.stringify({ ...errorEvent(new ApiError(reason === 'idle' ? 'session_idle_timeout' : 'session_expired', message)), event_id: newId('event') }),
            create: (touch) =>
              new RealtimeSession(
                {
                  ...services,
                  logger: log,
                  heardSeconds: billing.heard,
                  // Every reply sentence comes through here: its audio is what the session said.
                  synthesize: (text, voice, speed, continuation, signal) => metered(services.synthesize(text, voice, speed, continuation, signal), billing.spoke),
                },
                // A session that is speaking is not idle, though its client may only be listening.
                liveTransport(conn, touch),
                dialect,
                {
                  model,
                  intent,
                  voice: ctx.tts.defaults().voice,
                  maxSessionMs: ctx.config.liveMaxSessionSeconds * 1000,
                  maxTurnMs: ctx.config.liveMaxTurnSeconds * 1000,
                  maxPendingInputBytes: ctx.config.liveMaxPendingInputBytes,
                },
              ),
            opened: (session) => log.info({ sessionId: session.settings.id, dialect, model }, 'realtime session opened'),
            closed: (session, code) => log.info({ sessionId: session.settings.id, code }, 'realtime session closed'),
          });
        };
      });
    },
  });
}

/** `chunks`, telling `spoke` the length of each as it passes. */
async function* metered(chunks: AsyncIterable<AudioChunk>, spoke: (seconds: number) => void): AsyncGenerator<AudioChunk> {
  for await (const chunk of chunks) {
    if (chunk.pcm.length > 0) spoke(chunk.pcm.length / chunk.sampleRateHz);
    yield chunk;
  }
}

function realtimeServices(ctx: ApiContext): Omit<RealtimeServices, 'logger'> {
  return {
    responder: ctx.responder,
    transcribe: (audio, turn, signal) => ctx.stt.transcribeLive(audio, turn, signal),
    synthesize: (text, voice, speed, continuation, signal) => ctx.tts.speakSentence({ text, voice, speed, continuation }, signal),
    checkVoice: (voice) => {
      ctx.tts.resolve({ voice });
    },
    vad: vadLoader(),
  };
}
