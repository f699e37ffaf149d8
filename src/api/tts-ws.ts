/**
 * `GET /v1/tts/ws`: input-streaming TTS over WebSocket (protocol in docs/tts-ws.md). The upgrade
 * is refused with a 4xx envelope when the query names a bad model, voice or setting, so a
 * session never opens only to fail at its first sentence. This module adapts the HTTP layer's
 * WebSocket connection to the session's transport port.
 */
import type { HttpServer } from '../http/server.js';
import { parseQuerySettings } from '../realtime/tts-ws/protocol.js';
import { TtsWsSession } from '../realtime/tts-ws/session.js';
import { resolveSettings } from '../realtime/tts-ws/settings.js';
import { admitSharedUpgrade, checkedUpgrade } from './access.js';
import type { ApiContext } from './context.js';
import { liveCharge } from './live-charge.js';
import { CLOSED_SESSION } from './live-session.js';
import { liveTransport } from './live-transport.js';

// A text message may carry the whole text buffer; JSON escapes a character in up to 6 bytes.
const MAX_JSON_BYTES_PER_CHAR = 6;
const ENVELOPE_BYTES = 1024;

export function registerTtsWsRoute(http: HttpServer, ctx: ApiContext): void {
  http.webSocket('/v1/tts/ws', {
    maxMessageBytes: ctx.tts.limits.maxTextChars * MAX_JSON_BYTES_PER_CHAR + ENVELOPE_BYTES,
    async accept(request) {
      const access = await admitSharedUpgrade(ctx.accounts, request, ctx.sharedGate);
      return checkedUpgrade(access, async () => {
        const billing = await liveCharge(ctx, access.caller, 'tts-ws');
        ctx.live.admit();
        const settings = resolveSettings(ctx.tts, parseQuerySettings(request.query));
        return (conn) => {
          // Refused at open (the plan's concurrent slots filled since the handshake): already closing.
          if (!access.open(conn) || !billing.open(conn)) return CLOSED_SESSION;
          const logger = ctx.logger.child({ reqId: request.requestId, session: conn.id });
          const session = new TtsWsSession(liveTransport(conn), { tts: ctx.tts, live: ctx.live, logger, requestId: request.requestId, spokeSeconds: billing.spoke }, settings);
          return {
            onMessage: (msg) => (msg.kind === 'text' ? session.handleText(msg.text) : session.handleBinary()),
            onClose: (code) => session.closed(code),
          };
        };
      });
    },
  });
}
