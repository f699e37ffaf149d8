/**
 * `GET /v1/stt/ws`: live captions over a plain WebSocket (protocol in docs/stt-ws.md). The
 * upgrade is refused with a 4xx envelope when the query is bad or no installed model serves the
 * language, so a session never opens only to fail at its first utterance. Billed as the other
 * live sessions, by the minutes of audio received; counted against the same session limits.
 */
import type { HttpServer } from '../http/server.js';
import { parseSettings } from '../realtime/stt-ws/protocol.js';
import { SttWsSession } from '../realtime/stt-ws/session.js';
import { ApiError } from '../errors.js';
import { admitSharedUpgrade, checkedUpgrade } from './access.js';
import type { ApiContext } from './context.js';
import { liveCharge } from './live-charge.js';
import { openLiveSession } from './live-session.js';
import { liveTransport } from './live-transport.js';
import { vadLoader } from './live-vad.js';

/**
 * What the socket layer accepts at all; past it uWS drops the connection with no close frame.
 * Frames between the session's own limit (STT_WS_MAX_FRAME_BYTES) and this one are answered
 * properly: an error event, then close 1009.
 */
const SOCKET_MAX_MESSAGE_BYTES = 1024 * 1024;

export function registerSttWsRoute(http: HttpServer, ctx: ApiContext): void {
  const vad = vadLoader();
  http.webSocket('/v1/stt/ws', {
    maxMessageBytes: SOCKET_MAX_MESSAGE_BYTES,
    async accept(request) {
      const access = await admitSharedUpgrade(ctx.accounts, request, ctx.sharedGate);
      return checkedUpgrade(access, async () => {
        const settings = parseSettings(request.query);
        // 400/424 now: the model and language are checked before the session opens.
        ctx.stt.resolve({ model: settings.model, language: settings.language, task: 'transcribe', wordTimestamps: true, diarize: false, live: false });
        const billing = await liveCharge(ctx, access.caller, 'stt-ws');
        ctx.live.admit();
        return (conn) => {
          const logger = ctx.logger.child({ reqId: request.requestId, route: 'stt-ws' });
          return openLiveSession(ctx, conn, {
            checks: [access, billing],
            limitEvent: (reason, message) => JSON.stringify({ type: 'error', error: new ApiError(reason === 'idle' ? 'session_idle' : 'session_expired', message).toEnvelope().error }),
            create: () =>
              new SttWsSession(
                liveTransport(conn),
                {
                  transcribe: (audio, language, signal, onPartial) => ctx.stt.transcribeLive(audio, { model: settings.model, language, onPartial, wordTimestamps: true, speakerVector: settings.speakers }, signal),
                  vad,
                  logger,
                  heardSeconds: billing.heard,
                  maxTurnMs: ctx.config.liveMaxTurnSeconds * 1000,
                  maxPendingInputBytes: ctx.config.liveMaxPendingInputBytes,
                },
                settings,
              ),
            opened: () => logger.info({ format: settings.format, language: settings.language }, 'stt ws session opened'),
            closed: (_session, code) => logger.info({ code }, 'stt ws session closed'),
          });
        };
      });
    },
  });
}
